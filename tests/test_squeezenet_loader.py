"""cs231n/squeezenet.py: the pretrained-CNN loader of the visualization and style-transfer notebooks.

A torchvision squeezenet1_1 state dict saved as .pth loads into torchvision's
network with the same outputs; the course's .npz round-trips; a missing,
damaged, wrong-shape or foreign file is refused with a message naming it;
the shipped weights (when present) load and classify CIFAR-10 test images.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sq(request):
    sys.path.insert(0, str(REPO / "source"))
    request.addfinalizer(lambda: sys.path.remove(str(REPO / "source")))
    for name in [n for n in sys.modules if n == "cs231n" or n.startswith("cs231n.")]:
        del sys.modules[name]
    import cs231n.squeezenet
    return cs231n.squeezenet


def random_cifar_net(sq, seed=0):
    torch.manual_seed(seed)
    model = sq.SqueezeNetCIFAR()
    with torch.no_grad():  # non-trivial batch-norm statistics, so loading them matters
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
    return model.eval()


def test_torchvision_state_dict_loads_with_the_same_outputs(sq, tmp_path):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    original = torchvision.models.squeezenet1_1().eval()
    path = tmp_path / "squeezenet1_1.pth"
    torch.save(original.state_dict(), path)
    model = sq.load_pretrained_cnn(path)
    assert isinstance(model, torchvision.models.SqueezeNet)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.image_size == 224 and model.mean == sq.IMAGENET_MEAN and model.dataset == "imagenet"
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), original(x))


def test_npz_round_trip_gives_the_same_outputs_and_metadata(sq, tmp_path):
    original = random_cifar_net(sq)
    path = tmp_path / "net.npz"
    np.savez(path, **sq.state_arrays(original))
    model = sq.load_pretrained_cnn(path)
    assert isinstance(model, sq.SqueezeNetCIFAR)
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.class_names == sq.CIFAR10_CLASSES and model.image_size == 32
    for shape in [(3, 3, 32, 32), (1, 3, 48, 40)]:  # fully convolutional
        x = torch.randn(*shape)
        with torch.no_grad():
            assert torch.allclose(model(x), original(x), atol=1e-6)
    assert len(model.features) > 5 and isinstance(model.features, torch.nn.Sequential)


def test_wrong_shapes_missing_arrays_and_damaged_files_are_refused_by_name(sq, tmp_path):
    arrays = sq.state_arrays(random_cifar_net(sq))
    key = "classifier.1.weight"
    wrong = dict(arrays, **{key: np.zeros((7, 320, 1, 1), np.float32)})
    np.savez(tmp_path / "wrong.npz", **wrong)
    with pytest.raises(ValueError, match=r"wrong\.npz.*classifier\.1\.weight.*\(7, 320, 1, 1\)"):
        sq.load_pretrained_cnn(tmp_path / "wrong.npz")
    missing = {k: v for k, v in arrays.items() if k != key}
    np.savez(tmp_path / "missing.npz", **missing)
    with pytest.raises(ValueError, match=r"missing\.npz.*missing.*classifier\.1\.weight"):
        sq.load_pretrained_cnn(tmp_path / "missing.npz")
    np.savez(tmp_path / "pickled.npz", **dict(arrays, extra=np.array([{"a": 1}], dtype=object)))
    with pytest.raises(ValueError, match="pickled.npz"):
        sq.load_pretrained_cnn(tmp_path / "pickled.npz")
    good = tmp_path / "good.npz"
    np.savez(good, **arrays)
    (tmp_path / "cut.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="cut.npz"):
        sq.load_pretrained_cnn(tmp_path / "cut.npz")
    (tmp_path / "junk.pth").write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="junk.pth"):
        sq.load_pretrained_cnn(tmp_path / "junk.pth")
    torch.save({"weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="other.pth.*squeezenet1_1"):
        sq.load_pretrained_cnn(tmp_path / "other.pth")
    with pytest.raises(FileNotFoundError, match="python -m models train cifar_squeezenet"):
        sq.load_pretrained_cnn(tmp_path / "absent.npz")


def test_preprocess_and_deprocess_invert_each_other(sq):
    img = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    x = sq.preprocess(img)
    assert x.shape == (2, 3, 32, 32) and x.dtype == torch.float32
    assert np.array_equal(sq.deprocess(x), img)
    assert np.array_equal(sq.deprocess(sq.preprocess(img[0]))[0], img[0])


def test_shipped_weights_classify_cifar10_test_images(sq):
    weights = REPO / "source" / "assignment3" / sq.WEIGHTS
    if not weights.is_file():
        pytest.skip(f"{weights} not trained yet")
    try:
        X, y, _ = sq.load_cifar_test_images(500)
    except FileNotFoundError:
        pytest.skip("CIFAR-10 is not fetched")
    model = sq.load_pretrained_cnn(weights)
    with torch.no_grad():
        accuracy = float((model(sq.preprocess(X)).argmax(1).numpy() == y).mean())
    assert accuracy >= 0.7, f"shipped CIFAR SqueezeNet: {accuracy:.1%} on 500 test images"
