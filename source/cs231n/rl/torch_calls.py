"""Calling PyTorch functions with NumPy arrays, for the tests (given code).

The tests (public and hidden) exchange NumPy arrays with the code they
check. These helpers run on the same side as that code: they turn the
arrays into tensors, call the function, run autograd where asked, and turn
what came out back into arrays, with a description of it (was it a tensor,
of what shape, did it carry a gradient). Students do not need them.
"""
import importlib

import numpy as np
import torch

from .networks import MLP


def _to_torch(value):
    return torch.as_tensor(value) if isinstance(value, np.ndarray) else value


def describe_result(result):
    """dict: tensor (bool), type (str), and for a tensor its shape, dtype,
    requires_grad and value (float64 or int64 array, detached)."""
    if not isinstance(result, torch.Tensor):
        return {"tensor": False, "type": type(result).__name__}
    value = result.detach().cpu()
    value = value.to(torch.float64) if value.is_floating_point() else value.to(torch.int64)
    return {"tensor": True, "type": "Tensor", "shape": list(result.shape), "dtype": str(result.dtype),
            "requires_grad": bool(result.requires_grad), "value": value.numpy()}


def call(module, name, args, grad_args=()):
    """Call module.name(*args) with every ndarray of args as a tensor.

    The arguments whose positions are in grad_args require grad; when the
    result is a scalar tensor that requires grad, it is backpropagated.

    Returns dict: result (describe_result of the return value) and grads
    (list, one entry per grad_args position: the gradient as a float64
    array, or None when none reached that argument).
    """
    function = getattr(importlib.import_module(module), name)
    tensors = [_to_torch(a) for a in args]
    for i in grad_args:
        tensors[i] = tensors[i].detach().clone().requires_grad_(True)
    result = function(*tensors)
    grads = [None] * len(grad_args)
    if (grad_args and isinstance(result, torch.Tensor) and result.requires_grad
            and result.numel() == 1):
        result.reshape(()).backward()
        grads = [None if tensors[i].grad is None else tensors[i].grad.to(torch.float64).numpy()
                 for i in grad_args]
    return {"result": describe_result(result), "grads": grads}


def call_network_update(module, name, target_arrays, online_arrays, *args):
    """Call module.name(target, online, *args) on two MLPs built from arrays.

    Inputs: target_arrays, online_arrays: dicts as MLP.to_arrays returns them.

    Returns dict: target, online (the two networks' arrays afterwards) and
    returned (describe_result of what the function returned).
    """
    function = getattr(importlib.import_module(module), name)
    input_dim, hidden = np.asarray(target_arrays["W1"]).shape
    output_dim = np.asarray(target_arrays["W3"]).shape[1]
    target = MLP(input_dim, output_dim, hidden).double()
    online = MLP(input_dim, output_dim, hidden).double()
    target.load_arrays(target_arrays)
    online.load_arrays(online_arrays)
    returned = function(target, online, *args)
    arrays = {}
    for key, net in (("target", target), ("online", online)):
        arrays[key] = {k: v.astype(np.float64) for k, v in net.to_arrays().items()}
    return {**arrays, "returned": describe_result(returned)}
