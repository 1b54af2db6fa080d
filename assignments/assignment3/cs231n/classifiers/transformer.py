"""A Transformer decoder that captions an image from its feature vector (PyTorch).

Shapes: N images, D image-feature size, T caption length, W word-vector size, V vocabulary size.
"""
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..transformer_layers import MultiHeadAttention, PositionalEncoding


class CaptioningTransformer(nn.Module):
    """Predicts each next word of a caption from the words before it and the image.

    The image's feature vector, projected to W numbers, is the decoder's memory:
    a sequence of length one that every word attends to. Words attend only to
    themselves and earlier words (a causal mask).
    """

    def __init__(self, word_to_idx, input_dim, wordvec_dim, num_heads=4, num_layers=2, max_length=50):
        """
        Inputs:
        - word_to_idx: dict of the V words to indices; it has "<NULL>", "<START>", "<END>"
        - input_dim: D, the size of an image's feature vector
        - wordvec_dim: W, the size of word vectors and of the decoder
        - num_heads: attention heads per layer (W must be a multiple of it)
        - num_layers: decoder layers
        - max_length: the longest caption the model reads
        """
        super().__init__()
        vocab_size = len(word_to_idx)
        self.vocab_size = vocab_size
        # the sizes, kept so that a trained model can be saved with them and built again
        self.input_dim, self.wordvec_dim, self.max_length = input_dim, wordvec_dim, max_length
        self.num_heads, self.num_layers = num_heads, num_layers
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.embedding = nn.Embedding(vocab_size, wordvec_dim, padding_idx=self._null)
        self.positional_encoding = PositionalEncoding(wordvec_dim, max_len=max_length)
        decoder_layer = TransformerDecoderLayer(input_dim=wordvec_dim, num_heads=num_heads)
        self.transformer = TransformerDecoder(decoder_layer, num_layers=num_layers)
        self.apply(self._init_weights)
        self.output = nn.Linear(wordvec_dim, vocab_size)

    def _init_weights(self, module):
        """Small normal weights and zero biases (as GPT-2), so training starts from near-uniform scores."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, features, captions):
        """
        Inputs:
        - features: (N, D) image features
        - captions: (N, T) word indices, the caption so far (teacher forcing)

        Returns:
        - scores: (N, T, V); scores[n, t] are the unnormalized log-probabilities of
          the word after captions[n, :t + 1]
        """
        N, T = captions.shape
        # TODO: embed the captions and add their positional encoding (N, T, W);
        # project the features to a memory of length one (N, 1, W); make the causal
        # mask (T, T) that lets word t see words 0..t only (1 = allowed, 0 = not;
        # torch.tril helps); run self.transformer and score every position with
        # self.output.
        raise NotImplementedError('Complete CaptioningTransformer.forward (see the TODO above)')
        return scores

    def sample(self, features, max_length=30):
        """Greedy captions of images.

        Inputs:
        - features: (N, D) image features, a NumPy array or a tensor
        - max_length: how many words to generate

        Returns:
        - captions: int64 NumPy array (N, max_length), the most likely word at
          each step given the words before it; words after an <END> are kept
          (decode_captions stops at the first <END>).
        """
        with torch.no_grad():
            features = torch.as_tensor(features, dtype=torch.float32)
            N = features.shape[0]
            captions = self._null * np.ones((N, max_length), dtype=np.int64)
            partial = torch.full((N, 1), self._start, dtype=torch.long)
            for t in range(max_length):
                scores = self.forward(features, partial)[:, -1, :]
                word = torch.argmax(scores, dim=1)
                captions[:, t] = word.numpy()
                partial = torch.cat([partial, word.unsqueeze(1)], dim=1)
            return captions


class TransformerDecoderLayer(nn.Module):
    """One decoder layer: masked self-attention, attention to the memory, a feed-forward net.

    Each part is followed by dropout, a residual connection and layer norm.
    """

    def __init__(self, input_dim, num_heads, dim_feedforward=None, dropout=0.1):
        """
        Inputs:
        - input_dim: W, the size of the inputs and outputs
        - num_heads: attention heads
        - dim_feedforward: hidden size of the feed-forward net (default 4 * W)
        - dropout: dropout probability
        """
        super().__init__()
        dim_feedforward = 4 * input_dim if dim_feedforward is None else dim_feedforward
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)
        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, tgt, memory, tgt_mask=None):
        """
        Inputs:
        - tgt: (N, T, W) the words so far
        - memory: (N, S, W) what the words attend to (the projected image)
        - tgt_mask: (T, T) which words each word may attend to (1) or not (0)

        Returns:
        - out: (N, T, W)
        """
        tgt = self.norm1(tgt + self.dropout1(self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)))
        tgt = self.norm2(tgt + self.dropout2(self.multihead_attn(tgt, memory, memory)))
        hidden = self.linear2(self.dropout(F.relu(self.linear1(tgt))))
        return self.norm3(tgt + self.dropout3(hidden))


def clones(module, N):
    """N independent copies of module, in an nn.ModuleList."""
    import copy
    return nn.ModuleList([copy.deepcopy(module) for _ in range(N)])


class TransformerDecoder(nn.Module):
    """num_layers decoder layers, one after the other."""

    def __init__(self, decoder_layer, num_layers):
        super().__init__()
        self.layers = clones(decoder_layer, num_layers)
        self.num_layers = num_layers

    def forward(self, tgt, memory, tgt_mask=None):
        """(N, T, W) words, (N, S, W) memory, (T, T) mask -> (N, T, W)."""
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask)
        return output


def self_attention_weights(model, features, captions, layer=0):
    """(N, H, T, T) weights with which each word attends to earlier words in one layer's self-attention.

    For the notebook's attention maps: recomputed from the layer's query and key
    projections with the inputs that layer sees, in eval mode (no dropout).
    Inputs: features (N, D) and captions (N, T) tensors; layer, which decoder layer.
    """
    model.eval()
    with torch.no_grad():
        N, T = captions.shape
        x = model.positional_encoding(model.embedding(captions))
        memory = model.visual_projection(features).unsqueeze(1)
        causal = torch.tril(torch.ones(T, T))
        for decoder_layer in model.transformer.layers[:layer]:
            x = decoder_layer(x, memory, tgt_mask=causal)
        attn = model.transformer.layers[layer].self_attn
        H, d = attn.n_head, attn.head_dim
        q = attn.query(x).view(N, T, H, d).transpose(1, 2)
        k = attn.key(x).view(N, T, H, d).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1) / math.sqrt(d)).masked_fill(causal == 0, float("-inf"))
        return F.softmax(scores, dim=-1)
