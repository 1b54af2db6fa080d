"""A recurrent network (vanilla RNN or LSTM) that captions an image from its feature vector.

Shapes: N images, D image-feature size, W word-vector size, H hidden size,
V vocabulary size, T caption length.

The image's features, through an affine projection, are the RNN's initial
hidden state h0. Training uses teacher forcing: the network reads the
caption's words without the last one, captions[:, :-1], and is scored on
predicting the caption without its <START>, captions[:, 1:]; steps whose
target is <NULL> are not counted.
"""
import numpy as np

from ..rnn_layers import (
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)


class CaptioningRNN:
    """Image captioning with a recurrent network, in the course's model interface.

    Parameters (self.params), for cell_type "rnn" (G = H) or "lstm" (G = 4H):
    - W_proj (D, H), b_proj (H,): image features to the initial hidden state.
    - W_embed (V, W): word vectors.
    - Wx (W, G), Wh (H, G), b (G,): the recurrent layer.
    - W_vocab (H, V), b_vocab (V,): hidden states to scores over the vocabulary.
    """

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128, cell_type="rnn",
                 dtype=np.float32):
        """
        Inputs:
        - word_to_idx: dict of the V words to their indices; it must hold
          "<NULL>", and "<START>" and "<END>" for sampling.
        - input_dim: D, the size of an image's feature vector.
        - wordvec_dim: W, the size of word vectors.
        - hidden_dim: H, the size of the hidden state.
        - cell_type: "rnn" or "lstm".
        - dtype: the dtype of every parameter (np.float64 for gradient checks).
        """
        if cell_type not in {"rnn", "lstm"}:
            raise ValueError(f'Invalid cell_type "{cell_type}": use "rnn" or "lstm"')

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}

        vocab_size = len(word_to_idx)
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        # Scaled so that every layer's output starts with about unit variance.
        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)
        gates = {"rnn": 1, "lstm": 4}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, gates * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, gates * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(gates * hidden_dim)
        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for name, value in self.params.items():
            self.params[name] = value.astype(self.dtype)

    def loss(self, features, captions):
        """Training loss and gradients on a minibatch of captioned images.

        Inputs:
        - features: image features, array of shape (N, D).
        - captions: ground-truth captions, integer array of shape (N, T), each
          starting with <START> and padded with <NULL>.

        Returns a tuple:
        - loss: float, temporal_softmax_loss of the scores at the T - 1 steps
          (input captions[:, :-1], targets captions[:, 1:], <NULL> targets
          not counted).
        - grads: dict with the keys of self.params, each gradient of the shape
          of its parameter.
        """
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = captions_out != self._null

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        loss, grads = 0.0, {}
        # TODO: The forward pass: (1) h0 = features W_proj + b_proj; (2) the
        # word vectors of captions_in; (3) rnn_forward or lstm_forward,
        # following self.cell_type; (4) scores over the vocabulary at every
        # step with temporal_affine_forward; (5) temporal_softmax_loss against
        # captions_out with the mask. Then the backward pass through the same
        # layers, filling grads with a gradient for every parameter.
        raise NotImplementedError('Complete CaptioningRNN.loss (see the TODO above)')
        return loss, grads

    def sample(self, features, max_length=30):
        """Greedy captions of images: at each step, the word with the highest score.

        The first input word is <START>, and h0 = features W_proj + b_proj as in
        loss. At each step the network reads the previous word (its vector),
        updates the hidden state (and, for an LSTM, the cell state, which starts
        at zero) with one step of the recurrent layer, scores the vocabulary,
        and takes the highest-scoring word (np.argmax) as the next word.

        Inputs:
        - features: image features, array of shape (N, D).
        - max_length: T, the number of words to sample.

        Returns:
        - captions: integer array of shape (N, max_length); captions[:, t] is
          the word sampled at step t (<START> is not included). What follows a
          caption's first <END> is not checked: you may keep sampling after it
          or write <NULL> there.
        """
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)

        W_proj, b_proj = self.params["W_proj"], self.params["b_proj"]
        W_embed = self.params["W_embed"]
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        W_vocab, b_vocab = self.params["W_vocab"], self.params["b_vocab"]

        # TODO: Sample one word per step for every image at once (a loop over
        # the max_length steps, none over the images), using rnn_step_forward
        # or lstm_step_forward and the word vectors of W_embed directly.
        raise NotImplementedError('Complete CaptioningRNN.sample (see the TODO above)')
        return captions
