# Correct: the code as a NumPy array (meshgrid of positions and even features), copied in with
#   torch.from_numpy; the forward with expand_as and an explicit self.dropout call on the sum;
#   attention one head at a time in a loop over the heads' slices of the projections, a large
#   negative number (-1e9 added where the mask is 0) instead of -inf, torch.cat of the heads.
# Rewrites: PositionalEncoding.__init__, PositionalEncoding.forward, MultiHeadAttention.forward
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
        import numpy as np
        positions, features = np.meshgrid(np.arange(max_len), np.arange(0, embed_dim, 2), indexing="ij")
        angles = positions / np.power(10000.0, features / embed_dim)
        code = np.zeros((max_len, embed_dim), dtype=np.float32)
        code[:, 0::2] = np.sin(angles)
        code[:, 1::2] = np.cos(angles)
        pe[0] = torch.from_numpy(code)
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
        code = self.pe[:, :S, :].expand_as(x)
        summed = x + code
        output = self.dropout(summed)
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
        d = self.head_dim
        q_all, k_all, v_all = self.query(query), self.key(key), self.value(value)
        heads = []
        for h in range(H):
            q = q_all[:, :, h * d:(h + 1) * d]
            k = k_all[:, :, h * d:(h + 1) * d]
            v = v_all[:, :, h * d:(h + 1) * d]
            scores = torch.bmm(q, k.transpose(1, 2)) / d ** 0.5
            if attn_mask is not None:
                scores = scores + (attn_mask == 0).float() * -1e9
            weights = self.attn_drop(F.softmax(scores, dim=2))
            heads.append(torch.bmm(weights, v))
        output = self.proj(torch.cat(heads, dim=2))
        ### END SOLUTION
        return output
