"""The test kit's pieces on their own: the wire format (tensors included), the checks and
their messages, the compare helper, the seeding rule, inspect and grad calls in process.

The same calls through the real sandbox are in test_torch_grading.py.
"""
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.testkit import (CheckFailed, Code, InProcessCode, StudentCodeError, assert_close, assert_matches,
                                assert_scalar_close, case, compare, numerical_gradient, rel_error, seed_for, wire)
from tests.module_file import load_module_file

REPO = Path(__file__).resolve().parents[1]


def round_trip(value, notes=None):
    arrays = []
    doc = wire.encode(value, arrays, notes=notes)
    return wire.decode(doc, [a.copy() for a in arrays])


# ---- the wire --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64, torch.int32,
                                   torch.uint8, torch.bool, torch.complex64])
def test_tensors_cross_by_value_keeping_dtype_and_shape(dtype):
    tensor = (torch.arange(12) % 3).reshape(3, 4).to(dtype)
    back = round_trip({"t": tensor, "pair": (tensor[0], 1.5)})
    assert type(back["t"]) is torch.Tensor and back["t"].dtype == dtype and back["t"].shape == (3, 4)
    assert torch.equal(back["t"], tensor) and torch.equal(back["pair"][0], tensor[0])


def test_tensors_arrive_detached_and_as_copies():
    x = torch.ones(3, requires_grad=True)
    back = round_trip(x * 2)
    assert not back.requires_grad and back.grad_fn is None
    back[0] = 5.0
    assert x[0].item() == 1.0


def test_parameters_and_array_subclasses_arrive_plain_with_a_note():
    notes = []
    with pytest.warns(PendingDeprecationWarning):  # numpy's own warning about np.matrix
        matrix = np.matrix([[1.0, 2.0]])
    back = round_trip([torch.nn.Parameter(torch.zeros(2)), matrix], notes)
    assert type(back[0]) is torch.Tensor and type(back[1]) is np.ndarray and back[1].shape == (1, 2)
    assert notes == ["a value of type numpy.matrix was converted to a plain NumPy array (np.asarray) "
                     "before it was checked"]


@pytest.mark.parametrize("tensor, message", [
    (torch.zeros(2, dtype=torch.bfloat16), "dtype torch.bfloat16 cannot be sent"),
    (torch.zeros(2).to_sparse(), "layout torch.sparse_coo cannot be sent; use a dense tensor"),
    (torch.zeros(2, device="meta"), "on device meta cannot be sent; move it to the CPU"),
])
def test_tensors_the_wire_cannot_carry_are_refused_with_a_reason(tensor, message):
    with pytest.raises(wire.WireError, match=message):
        wire.encode(tensor, [])


def test_a_dict_keyed_by_ints_crosses_as_a_handle_and_comes_back_whole(tmp_path):
    """A student's cache {t: ...} cannot cross by value (JSON keys are strings): a result keeps
    it on the student's side as a handle, and the next call receives the dict itself."""
    with pytest.raises(wire.WireError, match="only dicts with str keys"):
        wire.encode({0: np.zeros(2)}, [])
    code = toy_code(tmp_path, "int_cache", INT_CACHE)
    out, cache = code.function("toypkg.ops", "forward")(np.arange(3.0))
    assert np.array_equal(out, [0.0, 2.0, 4.0]) and not isinstance(cache, dict)
    assert np.array_equal(code.function("toypkg.ops", "backward")(np.ones(3), cache), [2.0, 2.0, 2.0])


INT_CACHE = """
def forward(x):
    return x * 2, {t: x[t] for t in range(len(x))}

def backward(dout, cache):
    assert type(cache) is dict and sorted(cache) == list(range(len(dout)))
    return dout * 2 + sum(cache.values()) * 0
"""


def test_a_handle_type_name_that_is_not_an_identifier_is_not_shown():
    assert wire.Handle(1, "Net").type_name == "Net"
    assert wire.Handle(1, "✓ (2 / 2)\n**Score**").type_name == "object"


# ---- the checks ------------------------------------------------------------------------

def failure(check, *args, **kwargs):
    with pytest.raises(CheckFailed) as info:
        check(*args, **kwargs)
    return str(info.value)


def test_wrong_values_of_the_right_shape_do_not_read_like_a_shape_error():
    message = failure(assert_close, np.ones((5, 4)) * 2, np.ones((5, 4)), "dW")
    assert message.startswith("dW has the right shape (5, 4) but wrong values: 20 of 20 entries differ")
    assert "2 times the expected ones everywhere" in message
    assert failure(assert_close, np.ones((4, 5)), np.ones((5, 4)), "dW") == \
        "dW has shape (4, 5); it should have shape (5, 4)"


def test_the_message_says_how_far_off_values_are_without_giving_them():
    expected = np.array([3.0, -7.0, 11.0])
    message = failure(assert_close, expected * np.array([1.0, 1.0, 1.5]), expected, "out")
    assert "1 of 3 entries differ" in message and "norm of your values is" in message
    assert "11" not in message and "7" not in message.split("entries")[1]
    assert "opposite sign" in failure(assert_close, -expected, expected, "out")


def test_nan_never_matches_and_inf_only_the_same_inf():
    nan = np.array([1.0, np.nan])
    assert "contains nan" in failure(assert_close, nan, np.array([1.0, 2.0]), "x")
    assert "contains nan" in failure(assert_close, nan, nan, "x")  # even where the expected value is nan
    assert_close(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]), "x")
    assert "inf or -inf" in failure(assert_close, np.array([-np.inf, 1.0]), np.array([np.inf, 1.0]), "x")
    assert rel_error(np.array([np.nan]), np.array([np.nan])) == np.inf
    assert "is nan" in failure(assert_scalar_close, float("nan"), float("nan"), "loss")


def test_a_nan_loss_cannot_pass_a_numerical_gradient_check():
    with pytest.raises(CheckFailed, match="the loss is nan at these inputs"):
        numerical_gradient(lambda w: float("nan"), np.ones(3), name="the loss")


def test_scalar_messages_give_direction_and_rough_size_only():
    message = failure(assert_scalar_close, 2.53, 2.3, "loss")
    assert message == "loss is 2.53, which is too large (off by about 10%); the allowed relative error is 1e-06"
    assert "2.3" not in message


def test_tensor_expected_means_a_tensor_is_required():
    expected = torch.ones(2, 3)
    assert_close(torch.ones(2, 3), expected, "out")
    assert failure(assert_close, np.ones((2, 3)), expected, "out") == (
        "out should be a torch tensor of shape (2, 3); got a NumPy array of shape (2, 3) and dtype float64")
    assert "dtype torch.float32" in failure(assert_close, torch.ones(2, 3, dtype=torch.float64), expected,
                                            "out", check_dtype=True)


def test_case_prefixes_the_message():
    with pytest.raises(CheckFailed, match="^on a single example: x has shape"):
        with case("on a single example"):
            assert_close(np.ones(2), np.ones(3), "x")


def test_assert_matches_walks_structures():
    assert_matches({"a": (np.ones(2), 3.0), "b": np.array([1, 2])}, {"a": (np.ones(2), 3.0), "b": np.array([1, 2])}, "v")
    assert "v['b'] has 1 of 2 labels different" in failure(
        assert_matches, {"b": np.array([1, 3])}, {"b": np.array([1, 2])}, "v")


# ---- calls: compare, inspect, grad --------------------------------------------------------

def toy_code(tmp_path, name, source):
    folder = tmp_path / name
    (folder / "toypkg").mkdir(parents=True)
    (folder / "toypkg" / "__init__.py").write_text("")
    (folder / "toypkg" / "ops.py").write_text(source)
    sys.modules.pop("toypkg", None)
    sys.modules.pop("toypkg.ops", None)
    return InProcessCode(folder)


OPS = '''
import numpy as np
import torch

def scale(x, config):
    config["calls"] = config.get("calls", 0) + 1
    return 2 * x

def scale_in_place(x):
    x *= 2
    return x

def loss(logits, target):
    return torch.nn.functional.cross_entropy(logits, target)

def detached(x):
    return (x * 2).detach()
'''


def test_inspect_shows_arguments_after_the_call_and_what_was_modified(tmp_path):
    code = toy_code(tmp_path, "a", OPS)
    call = code.function("toypkg.ops", "scale").inspect(np.ones(2), {})
    assert np.array_equal(call.value, 2 * np.ones(2))
    assert call.args_after[1] == {"calls": 1} and call.modified == ("argument 2",)
    call = code.function("toypkg.ops", "scale_in_place").inspect(np.ones(2))
    assert call.modified == ("argument 1",)


def test_grad_returns_the_value_and_input_gradients(tmp_path):
    code = toy_code(tmp_path, "b", OPS)
    logits, target = torch.randn(4, 3, dtype=torch.float64), torch.tensor([0, 2, 1, 1])
    value, (dlogits,) = code.function("toypkg.ops", "loss").grad(logits, target, wrt=(0,))
    expected = logits.clone().requires_grad_(True)
    torch.nn.functional.cross_entropy(expected, target).backward()
    assert torch.allclose(dlogits, expected.grad) and value.ndim == 0
    with pytest.raises(StudentCodeError, match="does not depend on its inputs through autograd"):
        code.function("toypkg.ops", "detached").grad(torch.ones(2), wrt=(0,))


class Functions(Code):
    """Code whose module `name` holds the given functions (one process cannot import two packages
    of the same name, as a student's and the reference's would be)."""

    def __init__(self, **functions):
        self.functions = functions

    def _request(self, op, target, name, args, kwargs, mode=None):
        return self.functions[name](*args, **kwargs)


def test_compare_calls_both_sides_the_same_way():
    reference, student = Functions(scale=lambda x: 2 * x), Functions(scale=lambda x: 3 * x)
    assert np.array_equal(compare(reference, reference, "ops", "scale", np.ones(3)), 2 * np.ones(3))
    with pytest.raises(CheckFailed, match="1.5 times the expected ones"):
        compare(student, reference, "ops", "scale", np.ones(3))
    with pytest.raises(CheckFailed, match=r"scale should return a tuple \(out, cache\)"):
        compare(student, reference, "ops", "scale", np.ones(3), returns=("out", "cache"))


# ---- one seeding rule ------------------------------------------------------------------

load_module = load_module_file


def fake_request(nodeid, public, salt="term-salt"):
    marker = object() if public else None
    node = types.SimpleNamespace(nodeid=nodeid, get_closest_marker=lambda name: marker)
    config = types.SimpleNamespace(getoption=lambda option: salt)
    return types.SimpleNamespace(node=node, config=config)


def test_public_tests_draw_the_same_inputs_on_a_laptop_and_in_the_grader():
    grader = load_module(REPO / "autograder" / "suites" / "conftest.py", "grader_conftest")
    student = load_module(REPO / "source" / "common" / "student_conftest.py", "student_conftest")
    laptop = student.rng.__wrapped__(fake_request("tests/test_knn.py::test_x[a]", True))
    graded = grader.rng.__wrapped__(fake_request("assignment1/test_knn.py::test_x[a]", True))
    assert np.array_equal(laptop.integers(0, 2**30, 8), graded.integers(0, 2**30, 8))
    hidden = grader.rng.__wrapped__(fake_request("assignment1/test_knn.py::test_x[a]", False))
    unsalted = np.random.default_rng(seed_for("assignment1/test_knn.py::test_x[a]"))
    assert not np.array_equal(hidden.integers(0, 2**30, 8), unsalted.integers(0, 2**30, 8))
    assert seed_for("a/b/test_knn.py::t", "s1") != seed_for("a/b/test_knn.py::t", "s2")


@pytest.mark.parametrize("array", [np.arange(6.0).reshape(2, 3), np.array(3.5), np.zeros((0, 4), np.int32),
                                   np.ones(5, bool), np.asfortranarray(np.ones((3, 2))), np.arange(5.0)[::2]])
def test_arrays_are_sent_as_npy_files_numpy_itself_reads(array):
    import io
    data = wire.array_to_bytes(array)
    assert np.array_equal(np.load(io.BytesIO(data), allow_pickle=False), array)
    back = wire.array_from_bytes(data)
    assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)


def test_an_array_whose_size_does_not_match_its_header_is_refused():
    data = wire.array_to_bytes(np.ones(3))
    with pytest.raises(wire.WireError, match="size does not match"):
        wire.array_from_bytes(data[:-8])
    lying = data.replace(b"(3,)", b"(9,)")
    with pytest.raises(wire.WireError):
        wire.array_from_bytes(lying)
