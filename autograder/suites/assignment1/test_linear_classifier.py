"""Training and prediction (cs231n/classifiers/linear_classifier.py) and the trained models.

Students write the minibatch sampling and the update step of
LinearClassifier.train, and LinearClassifier.predict. Sampling is random, so
the tests avoid depending on the student's random numbers: the update step is
checked on training sets whose rows are all the same example (every minibatch
is then the same), the sampling with learning_rate=0 (every loss in the
history is then the loss of one sampled example). Every expected loss comes
from the model's own loss, i.e. the student's own vectorized SVM or softmax
loss, so a mistake there is charged in its own suite and not again here.
Conventions from the docstrings, each checked by one test: minibatches are
sampled with replacement (batch_size may exceed N), predict returns integers.

The last tests score the models svm.ipynb and softmax.ipynb save
(artifacts/svm_best.npz, artifacts/softmax_best.npz, each holding W of shape
(3073, 10)) on the grader's held-out images (data/heldout.py), preprocessed
here, in the grader's process, exactly as the notebooks preprocess theirs.
"""

import numpy as np
import pytest

from autograder.testkit import (CheckFailed, StudentCodeError, assert_array, assert_close,
                                assert_equal_labels, assert_scalar_close, case, describe,
                                load_saved_arrays, unpack)

MOD = "cs231n.classifiers.linear_classifier"
CIFAR10_DIM, CIFAR10_CLASSES = 3 * 32 * 32 + 1, 10   # pixels plus the bias column
MAX_ARTIFACT_BYTES = 16 * 2**20        # W is 3073 x 10 float64: 240 KiB
MODELS = ("LinearSVM", "Softmax")
LOSS_OF = {
    "LinearSVM": ("cs231n.classifiers.linear_svm", "svm_loss_vectorized"),
    "Softmax": ("cs231n.classifiers.softmax", "softmax_loss_vectorized"),
}


def repeated_example(rng, n, d, c):
    """A training set of n copies of one example, and initial weights W0 of shape (d, c)."""
    X = np.repeat(rng.standard_normal((1, d)), n, axis=0)
    y = np.full(n, rng.integers(0, c))
    W0 = rng.standard_normal((d, c)) / np.sqrt(d)
    return W0, X, y


def check_history(history, num_iters):
    """The loss history must be a list of num_iters finite numbers; returned as an array."""
    if not isinstance(history, list) or len(history) != num_iters:
        raise CheckFailed(f"train(num_iters={num_iters}) should return a list of {num_iters} "
                          f"losses; it returned {describe(history)}")
    values = []
    for loss in history:
        if isinstance(loss, np.ndarray) and loss.size == 1:
            loss = loss.reshape(()).item()
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not np.isfinite(loss):
            raise CheckFailed("every entry of the loss history should be a finite number; "
                              f"one is {describe(loss) if not isinstance(loss, float) else loss}")
        values.append(float(loss))
    return np.array(values)


def assert_step(W, W0, step, name):
    """W must be W0 - step (step = learning_rate * dW); says so when it went up the gradient instead."""
    try:
        assert_close(W, W0 - step, name)
    except CheckFailed as exc:
        if isinstance(W, np.ndarray) and W.shape == W0.shape and np.allclose(W, W0 + step, rtol=1e-6, atol=1e-12):
            raise CheckFailed(f"{exc}; W moved up the gradient: the step is W -= learning_rate * grad") from None
        raise


# ------------------------------------------------------------------ public

@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("model", MODELS)
def test_train_initializes_small_random_weights(student, rng, model):
    """Before the first step W is 0.001 * standard normal, of shape (D, max(y) + 1)."""
    d = 300
    X = rng.standard_normal((12, d))
    y = rng.choice([0, 2, 4], size=12)  # C = max(y) + 1 = 5, not the 3 labels present
    classifier = student.new(MOD, model)
    history = classifier.call("train", X, y, learning_rate=0.0, reg=0.0, num_iters=2, batch_size=4)
    check_history(history, 2)
    W = classifier.get("W")
    assert_array(W, f"{model}.W after train", (d, 5))
    if not (0.0008 <= np.std(W) <= 0.0012 and abs(np.mean(W)) <= 0.0002):
        raise CheckFailed(f"{model}.W after train with learning_rate=0 should be the initial "
                          "weights, 0.001 * np.random.randn(D, C); its entries have mean "
                          f"{np.mean(W):.2g} and standard deviation {np.std(W):.2g}")


@pytest.mark.public
@pytest.mark.points(2)
@pytest.mark.parametrize("model", MODELS)
def test_train_takes_gradient_steps(student, rng, model):
    """Every minibatch of a set of identical rows is the same: W must move by -lr * dW each step."""
    W0, X, y = repeated_example(rng, 6, 9, 4)
    learning_rate, reg, batch_size = 0.3, 0.05, 4
    classifier = student.new(MOD, model)
    classifier.set("W", W0)
    loss0, dW = unpack(classifier.call("loss", X[:batch_size], y[:batch_size], reg), ["loss", "dW"],
                       f"{model}.loss")
    assert_array(dW, f"dW from {model}.loss", W0.shape)
    history = check_history(classifier.call("train", X, y, learning_rate=learning_rate, reg=reg,
                                            num_iters=1, batch_size=batch_size), 1)
    with case(f"{model}.train with one iteration"):
        assert_scalar_close(history[0], loss0, "the loss in the history (the minibatch loss before the step)")
        assert_step(classifier.get("W"), W0, learning_rate * dW, "W after the step")


@pytest.mark.public
@pytest.mark.points(1)
@pytest.mark.parametrize("model", MODELS)
def test_predict_takes_best_score(student, rng, model):
    classifier = student.new(MOD, model)
    for n, d, c in [(1, 4, 3), (25, 8, 2), (40, 12, 10)]:
        W = rng.standard_normal((d, c))
        X = rng.standard_normal((n, d))
        classifier.set("W", W)
        with case(f"{model}.predict on {n} examples with {c} classes"):
            assert_equal_labels(classifier.call("predict", X), np.argmax(X.dot(W), axis=1), "y_pred")


# ------------------------------------------------------------------ hidden

@pytest.mark.points(2)
@pytest.mark.parametrize("model", MODELS)
def test_train_follows_gradient_steps(student, rng, model):
    """Several steps, learning rates and regularization strengths, against a step-by-step
    replay with the classifier's own loss (so a wrong loss function does not count here)."""
    for num_iters, learning_rate, reg in [(3, 0.05, 0.1), (4, 1.3, 0.0), (2, 0.01, 2.5)]:
        W0, X, y = repeated_example(rng, 5, 11, 6)
        classifier, probe = student.new(MOD, model), student.new(MOD, model)
        classifier.set("W", W0)
        history = check_history(classifier.call("train", X, y, learning_rate=learning_rate, reg=reg,
                                                num_iters=num_iters, batch_size=3), num_iters)
        W, expected_history = W0, []
        for _ in range(num_iters):
            probe.set("W", W)
            loss, dW = unpack(probe.call("loss", X[:3], y[:3], reg), ["loss", "dW"], f"{model}.loss")
            expected_history.append(float(loss))
            W = W - learning_rate * dW
        with case(f"{model}.train for {num_iters} steps with learning_rate={learning_rate}, reg={reg}"):
            assert_close(history, np.array(expected_history), "loss history")
            assert_close(classifier.get("W"), W, "W after training")


def example_losses(student, model, W, X, y):
    """Each training example's loss with its own label, from the model's own loss (reg=0)."""
    probe = student.new(MOD, model)
    probe.set("W", W)
    losses = []
    for i in range(X.shape[0]):
        loss = unpack(probe.call("loss", X[i:i + 1], y[i:i + 1], 0.0), ["loss", "dW"], f"{model}.loss")[0]
        if not isinstance(loss, (int, float, np.generic, np.ndarray)) or np.size(loss) != 1:
            raise CheckFailed(f"{model}.loss should return the loss as a number; it returned {describe(loss)}")
        losses.append(float(np.asarray(loss, dtype=float).reshape(())))
    return np.array(losses)


@pytest.mark.points(2)
def test_train_samples_labelled_examples(student, rng):
    """With batch_size=1 and learning_rate=0, each history entry is one example's own loss
    (the model's own loss function, so a wrong loss does not count here).

    A sampled row paired with another row's label, a fixed row, or a
    minibatch of the wrong size gives other values.
    """
    n, d, c = 6, 8, 5
    W0 = rng.standard_normal((d, c)) / np.sqrt(d)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, size=n)
    losses = example_losses(student, "Softmax", W0, X, y)
    classifier = student.new(MOD, "Softmax")
    classifier.set("W", W0)
    num_iters = 60
    history = check_history(classifier.call("train", X, y, learning_rate=0.0, reg=0.0,
                                            num_iters=num_iters, batch_size=1), num_iters)
    match = np.abs(history[:, None] - losses[None, :]) <= 1e-9 * np.abs(losses)
    if not np.all(match.any(axis=1)):
        raise CheckFailed("with batch_size=1 and learning_rate=0 every loss in the history should be "
                          "the loss of one training example with its own label; "
                          f"{int(np.sum(~match.any(axis=1)))} of {num_iters} are not")
    if np.sum(match.any(axis=0)) < 3:
        raise CheckFailed(f"in {num_iters} minibatches of one example, train used only "
                          f"{int(np.sum(match.any(axis=0)))} of {n} training examples; sample "
                          "them at random with np.random.choice")


@pytest.mark.points(1)
def test_train_samples_with_replacement(student, rng):
    """The docstring's convention: minibatches are sampled with replacement, so batch_size
    may exceed the number of training examples. Only that train then runs is checked."""
    n, d, c = 4, 6, 3
    classifier = student.new(MOD, "LinearSVM")
    classifier.set("W", rng.standard_normal((d, c)) / np.sqrt(d))
    X, y = rng.standard_normal((n, d)), rng.integers(0, c, size=n)
    try:
        history = classifier.call("train", X, y, learning_rate=0.0, reg=0.0, num_iters=5, batch_size=10)
    except StudentCodeError as exc:
        raise CheckFailed(f"train with batch_size=10 on {n} training examples failed: {exc.brief}. "
                          "Minibatches are sampled with replacement (np.random.choice(num_train, "
                          "batch_size, replace=True)), so batch_size may exceed the number of "
                          "training examples") from None
    check_history(history, 5)


@pytest.mark.points(1)
@pytest.mark.parametrize("model", MODELS)
def test_loss_is_the_models_vectorized_loss(student, rng, model):
    """The model's loss is the student's own vectorized loss function (whether that is right is
    its own suite's business)."""
    W, X = rng.standard_normal((7, 4)), rng.standard_normal((10, 7))
    y = rng.integers(0, 4, size=10)
    classifier = student.new(MOD, model)
    classifier.set("W", W)
    loss, dW = unpack(classifier.call("loss", X, y, 0.2), ["loss", "dW"], f"{model}.loss")
    own_loss, own_dW = student.function(*LOSS_OF[model])(W, X, y, 0.2)
    with case(f"{model}.loss against your {LOSS_OF[model][1]}"):
        assert_scalar_close(loss, own_loss, "loss")
        assert_close(dW, own_dW, "dW")


@pytest.mark.points(1)
def test_predict_on_more_shapes(student, rng):
    """Two classes, a single example and CIFAR-sized rows."""
    classifier = student.new(MOD, "LinearSVM")
    for n, d, c in [(1, 5, 2), (33, 20, 2), (200, 3073, 10)]:
        W = rng.standard_normal((d, c))
        X = rng.standard_normal((n, d))
        classifier.set("W", W)
        with case(f"predict on {n} examples with {c} classes"):
            assert_equal_labels(classifier.call("predict", X), np.argmax(X.dot(W), axis=1), "y_pred")


@pytest.mark.public
@pytest.mark.points(1)
def test_predict_returns_integer_labels(student, rng):
    """The docstring's convention: y_pred is an integer array (float labels fail as indices)."""
    classifier = student.new(MOD, "LinearSVM")
    classifier.set("W", rng.standard_normal((6, 3)))
    y_pred = classifier.call("predict", rng.standard_normal((8, 6)))
    assert_array(y_pred, "y_pred", (8,))
    if y_pred.dtype.kind not in "iu":
        raise CheckFailed(f"predict returned labels of dtype {y_pred.dtype}; the docstring's convention is an "
                          "integer array (np.argmax returns one)")


# ------------------------------------------------------------------ the saved models

@pytest.fixture(scope="module")
def heldout_rows(cifar10_heldout):
    """(X (N, 3073), y (N,)): the held-out images preprocessed as svm.ipynb and softmax.ipynb
    preprocess theirs: rows of 3072 pixels (float64) minus the mean of the first 49000
    training images, then a column of ones appended last (the bias trick)."""
    X = cifar10_heldout.X.reshape(len(cifar10_heldout.y), -1).astype(np.float64)
    X -= cifar10_heldout.train_mean.reshape(-1)
    return np.hstack([X, np.ones((X.shape[0], 1))]), cifar10_heldout.y


def load_saved_weights(path, artifact, notebook):
    """W of shape (3073, 10) from the saved file, checked; CheckFailed says what is wrong."""
    W = load_saved_arrays(path, artifact, ["W"], notebook, MAX_ARTIFACT_BYTES,
                          hint="Save it with np.savez(path, W=best_model.W)",
                          model="one weight matrix for CIFAR-10")["W"]
    with case(f"the weights saved in {artifact}"):
        assert_array(W, "W", (CIFAR10_DIM, CIFAR10_CLASSES))
    if W.dtype.kind != "f" or not np.all(np.isfinite(W)):
        raise CheckFailed(f"W in {artifact} should hold finite floating-point numbers")
    return W


def saved_accuracy(artifact_path, heldout_rows, artifact, notebook):
    W = load_saved_weights(artifact_path(artifact), artifact, notebook)
    X_test, y_test = heldout_rows
    return float(np.mean(np.argmax(X_test.dot(W), axis=1) == y_test))


def check_saved_accuracy(artifact_path, heldout_rows, once, artifact, notebook, threshold):
    accuracy = once(artifact, lambda: saved_accuracy(artifact_path, heldout_rows, artifact, notebook))
    if not accuracy >= threshold:
        raise CheckFailed(f"the weights saved in {artifact} classify {accuracy:.1%} of the grader's "
                          f"held-out images correctly; this test needs at least {threshold:.0%} (the images "
                          "preprocessed as in the notebook: minus the mean training image, bias column last)")


SVM_ARTIFACT, SVM_NOTEBOOK = "artifacts/svm_best.npz", "svm.ipynb"
SOFTMAX_ARTIFACT, SOFTMAX_NOTEBOOK = "artifacts/softmax_best.npz", "softmax.ipynb"


# The reference notebooks' models score 36.1% (SVM) and 36.8% (softmax) on the
# held-out images, 36.9% and 37.0% on the test split.
@pytest.mark.points(1)
def test_saved_svm_reaches_33_percent(artifact_path, heldout_rows, once):
    check_saved_accuracy(artifact_path, heldout_rows, once, SVM_ARTIFACT, SVM_NOTEBOOK, 0.33)


@pytest.mark.points(2)
def test_saved_svm_reaches_35_percent(artifact_path, heldout_rows, once):
    check_saved_accuracy(artifact_path, heldout_rows, once, SVM_ARTIFACT, SVM_NOTEBOOK, 0.35)


@pytest.mark.points(1)
def test_saved_softmax_reaches_33_percent(artifact_path, heldout_rows, once):
    check_saved_accuracy(artifact_path, heldout_rows, once, SOFTMAX_ARTIFACT, SOFTMAX_NOTEBOOK, 0.33)


@pytest.mark.points(2)
def test_saved_softmax_reaches_35_percent(artifact_path, heldout_rows, once):
    check_saved_accuracy(artifact_path, heldout_rows, once, SOFTMAX_ARTIFACT, SOFTMAX_NOTEBOOK, 0.35)
