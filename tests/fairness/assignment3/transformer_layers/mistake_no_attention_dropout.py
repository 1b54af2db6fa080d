# Mistake: no dropout on the attention weights (self.attn_drop is never called).
# Rewrites: MultiHeadAttention.forward
# Fails: test_transformer_layers.py::test_attention_dropout_acts_in_train_mode_only
"""Transformer building blocks in PyTorch: positional encoding and multi-head attention.

Shapes: N is the batch size, S and T sequence lengths, E the embedding size.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal position code of "Attention is all you need" to a sequence of embeddings.

    For position i and feature j (0-based) the code is
        pe[i, j] = sin(i * 10000 ** (-j / E))        for even j
        pe[i, j] = cos(i * 10000 ** (-(j - 1) / E))  for odd j
    kept as the buffer `pe` of shape (1, max_len, E); dropout follows the sum.
    """

    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        """
        Inputs:
        - embed_dim: E, the size of each embedding (even)
        - dropout: the dropout probability applied after adding the code
        - max_len: the longest sequence the module accepts
        """
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        assert embed_dim % 2 == 0, "embed_dim must be even: sin and cos come in pairs"
        pe = torch.zeros(1, max_len, embed_dim)
        # TODO: fill pe with the code described in the class docstring: sin on the
        # even features, cos on the odd ones (no loop over positions needed).
        ### BEGIN SOLUTION
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        rates = torch.pow(10000.0, -torch.arange(0, embed_dim, 2, dtype=torch.float32) / embed_dim)
        pe[0, :, 0::2] = torch.sin(position * rates)
        pe[0, :, 1::2] = torch.cos(position * rates)
        ### END SOLUTION
        # a buffer moves with .to(device) and is saved in state_dict, but is not trained
        self.register_buffer("pe", pe)

    def forward(self, x):
        """
        Inputs:
        - x: (N, S, E) embeddings of a sequence, S <= max_len

        Returns:
        - output: (N, S, E), x plus the code of positions 0..S-1, then dropout
        """
        N, S, E = x.shape
        # TODO: add the first S positions' code to x and apply dropout.
        ### BEGIN SOLUTION
        output = self.dropout(x + self.pe[:, :S, :])
        ### END SOLUTION
        return output


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention with a final projection.

    The E features of queries, keys and values are projected (self.query,
    self.key, self.value), split into H heads of E / H features, attended per
    head with scores q . k / sqrt(E / H), joined back and projected (self.proj).
    Dropout (self.attn_drop) acts on the attention weights, after the softmax.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.1):
        """
        Inputs:
        - embed_dim: E, the size of every embedding; a multiple of num_heads
        - num_heads: H, the number of attention heads
        - dropout: the dropout probability on the attention weights
        """
        super().__init__()
        assert embed_dim % num_heads == 0, "embed_dim must be a multiple of num_heads"
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = nn.Dropout(dropout)
        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = embed_dim // num_heads

    def forward(self, query, key, value, attn_mask=None):
        """
        Inputs:
        - query: (N, S, E) what attends
        - key: (N, T, E) what is attended to
        - value: (N, T, E) what is returned, weighted
        - attn_mask: optional (S, T); attn_mask[i, j] == 0 forbids query i to attend
          to key j (its score becomes -inf before the softmax). Every row must allow
          at least one key.

        Returns:
        - output: (N, S, E), self.proj of the heads' weighted values, joined
        """
        N, S, E = query.shape
        N, T, E = value.shape
        H = self.n_head
        # TODO: project, split into heads (N, H, S or T, E / H), compute the scaled
        # scores, mask them, softmax over the keys, dropout, weight the values, join
        # the heads back to (N, S, E) and project.
        ### BEGIN SOLUTION
        q = self.query(query).view(N, S, H, self.head_dim).transpose(1, 2)
        k = self.key(key).view(N, T, H, self.head_dim).transpose(1, 2)
        v = self.value(value).view(N, T, H, self.head_dim).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, float("-inf"))
        weights = F.softmax(scores, dim=-1)
        output = self.proj((weights @ v).transpose(1, 2).reshape(N, S, E))
        ### END SOLUTION
        return output
