# Smoke run of assignment4's notebooks (tests/test_notebooks.py, `make notebooks-smoke`):
# run before each notebook, in its kernel, with SMOKE_NOTEBOOK set to its file name.
# Every cell still runs and the notebooks still save their agents, but training is a few
# thousand steps and evaluation a few episodes, so the figures printed mean nothing.
# The real run is `make notebooks ASSIGNMENT=assignment4` (docs/ASSIGNMENT4.md).
import cs231n.rl.dqn_training as _dqn
import cs231n.rl.evaluation as _evaluation
import cs231n.rl.pg_training as _pg
import cs231n.rl.tabular as _tabular


def _shorter(function, **caps):
    def run(*args, **kwargs):
        for name, cap in caps.items():
            if name in kwargs:
                kwargs[name] = min(kwargs[name], cap)
            else:
                kwargs[name] = cap
        return function(*args, **kwargs)
    return run


_pg.train_reinforce = _shorter(_pg.train_reinforce, total_steps=6_000, eval_episodes=2)
_pg.train_actor_critic = _shorter(_pg.train_actor_critic, total_steps=6_000, eval_episodes=2, eval_every=5)
_dqn.train_dqn = _shorter(_dqn.train_dqn, total_steps=3_000, learning_starts=500, eval_every=1_000,
                          eval_episodes=2)
_tabular.q_learning = _shorter(_tabular.q_learning, num_episodes=300)
_evaluate = _evaluation.evaluate_greedy
_evaluation.evaluate_greedy = lambda net, env_id, seeds: _evaluate(net, env_id, list(seeds)[:3])
