"""A circular replay buffer of transitions (DQN.ipynb)."""
import numpy as np


class ReplayBuffer:
    """The last `capacity` transitions (obs, action, reward, next_obs, done), sampled uniformly.

    Storage is one preallocated NumPy array per field, written at a position
    that wraps around: once full, each new transition overwrites the oldest.

    Usage:
        buffer = ReplayBuffer(10000, (4,), seed=0)
        buffer.add(obs, action, reward, next_obs, done)     # one transition
        obs, actions, rewards, next_obs, dones = buffer.sample(64)
        len(buffer)                                        # transitions held
    """

    def __init__(self, capacity, obs_shape, seed=None):
        """
        Inputs:
        - capacity: int > 0, the most transitions held.
        - obs_shape: tuple of ints, the shape of one observation (e.g. (4,)).
        - seed: int or None, seeds self.rng, which sample() draws from.
        """
        self.capacity = int(capacity)
        self.obs_shape = tuple(obs_shape)
        self.rng = np.random.default_rng(seed)
        # TODO: Allocate the storage: observations and next observations as
        # float32 arrays of shape (capacity, *obs_shape), actions int64,
        # rewards and dones float32, each of shape (capacity,); and the write
        # position and the number of transitions held (both 0).
        raise NotImplementedError('Complete ReplayBuffer.__init__ (see the TODO above)')

    def __len__(self):
        """The number of transitions held: min(number added, capacity)."""
        # TODO: One line.
        raise NotImplementedError('Complete ReplayBuffer.__len__ (see the TODO above)')

    def add(self, obs, action, reward, next_obs, done):
        """Store one transition, overwriting the oldest when the buffer is full.

        Inputs:
        - obs, next_obs: float arrays of shape obs_shape.
        - action: int; reward: float; done: bool or float (1 when the episode
          terminated at next_obs).
        """
        # TODO: Write the transition at the current position, then advance the
        # position (wrapping around) and the size (up to capacity).
        raise NotImplementedError('Complete ReplayBuffer.add (see the TODO above)')

    def sample(self, batch_size):
        """A batch of transitions drawn uniformly, with replacement, from those held.

        Inputs:
        - batch_size: int > 0.

        Returns a tuple (obs, actions, rewards, next_obs, dones):
        - obs, next_obs: float32 arrays of shape (batch_size, *obs_shape).
        - actions: int64 array of shape (batch_size,).
        - rewards, dones: float32 arrays of shape (batch_size,).
        Row i of every array belongs to the same stored transition.

        Raises ValueError when the buffer is empty.
        """
        if len(self) == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        # TODO: Draw batch_size indices with self.rng.integers and index every
        # array with them: no Python loop over the batch.
        raise NotImplementedError('Complete ReplayBuffer.sample (see the TODO above)')
