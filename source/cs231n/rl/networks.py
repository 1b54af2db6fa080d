"""The one network architecture of assignment 4 (given code).

Every network here, a policy, a value function or a Q-function, is an `MLP`:
two hidden layers of tanh units and a linear output layer,

    x (N, D) -> tanh(x W1 + b1) (N, H) -> tanh(. W2 + b2) (N, H) -> . W3 + b3 (N, K)

A policy outputs K = num_actions logits, a value function K = 1 value, a
Q-network K = num_actions action values. Networks are saved as arrays
(`to_arrays`, np.savez), never pickled: the grader rebuilds the same MLP
from them (`mlp_from_arrays`) and runs it.
"""
import numpy as np
import torch
from torch import nn

PARAM_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


class MLP(nn.Module):
    """Two tanh hidden layers of `hidden_dim` units, then a linear layer."""

    def __init__(self, input_dim, output_dim, hidden_dim=64):
        super().__init__()
        self.layer1 = nn.Linear(input_dim, hidden_dim)
        self.layer2 = nn.Linear(hidden_dim, hidden_dim)
        self.layer3 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x):
        """x: float32 tensor (N, input_dim) -> float32 tensor (N, output_dim)."""
        return self.layer3(torch.tanh(self.layer2(torch.tanh(self.layer1(x)))))

    def to_arrays(self):
        """The parameters as float32 arrays: W1 (D, H), b1 (H,), W2 (H, H), b2 (H,), W3 (H, K), b3 (K,).

        Weights are stored as (inputs, outputs), the course's convention for
        x W + b; nn.Linear keeps their transposes.
        """
        arrays = {}
        for i, layer in enumerate((self.layer1, self.layer2, self.layer3), start=1):
            arrays[f"W{i}"] = layer.weight.detach().cpu().numpy().T.copy()
            arrays[f"b{i}"] = layer.bias.detach().cpu().numpy().copy()
        return arrays

    def load_arrays(self, arrays):
        """Copy arrays shaped as `to_arrays` returns them into this network."""
        check_mlp_arrays(arrays, self.layer1.in_features, self.layer3.out_features)
        with torch.no_grad():
            for i, layer in enumerate((self.layer1, self.layer2, self.layer3), start=1):
                layer.weight.copy_(torch.as_tensor(np.asarray(arrays[f"W{i}"]).T, dtype=layer.weight.dtype))
                layer.bias.copy_(torch.as_tensor(np.asarray(arrays[f"b{i}"]), dtype=layer.bias.dtype))
        return self


def check_mlp_arrays(arrays, input_dim, output_dim, max_hidden=1024):
    """Raise ValueError unless `arrays` are the parameters of an MLP(input_dim, output_dim, H).

    Returns H, the hidden size, read from the shape of W1.
    """
    missing = [name for name in PARAM_NAMES if name not in arrays]
    if missing:
        raise ValueError(f"the network has no array {missing[0]!r}; it needs {', '.join(PARAM_NAMES)}")
    W1 = np.asarray(arrays["W1"])
    if W1.ndim != 2 or W1.shape[0] != input_dim or not 1 <= W1.shape[1] <= max_hidden:
        raise ValueError(f"W1 has shape {W1.shape}; expected ({input_dim}, H) with 1 <= H <= {max_hidden}")
    hidden = W1.shape[1]
    expected = {"W1": (input_dim, hidden), "b1": (hidden,), "W2": (hidden, hidden), "b2": (hidden,),
                "W3": (hidden, output_dim), "b3": (output_dim,)}
    for name, shape in expected.items():
        array = np.asarray(arrays[name])
        if array.shape != shape:
            raise ValueError(f"{name} has shape {array.shape}; expected {shape} (H = {hidden} from W1)")
        if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
            raise ValueError(f"{name} should hold finite floating-point numbers")
    return hidden


def mlp_from_arrays(arrays, input_dim, output_dim):
    """A new MLP holding `arrays` (checked first with check_mlp_arrays)."""
    hidden = check_mlp_arrays(arrays, input_dim, output_dim)
    return MLP(input_dim, output_dim, hidden).load_arrays(arrays)
