#!/usr/bin/python3
"""torch_population.py -- the PyTorch peer of an nm_population: N online actor-critic agents with eligibility
traces, batched the way a PyTorch user would write it (per-agent weights as [N, in, out] tensors, torch.bmm,
autograd for the traces' gradients), on one thread. The same work per agent-step as neuromod's step:

  act:   h = tanh(gain * (x W1 + b1)); logits = beta * (h Wp + bp); a ~ softmax; the trace
         e <- gamma lambda e + grad(log pi(a|s) + critic_scale V(s)) (autograd through the batch);
  learn: delta = r + gamma V(s') - V(s) (V(s') = 0 at a terminal); theta += alpha delta e, the update's L2 norm
         clipped per agent at max_update; the outcome predictor (a linear head of h per action, normalised LMS)
         and its surprise; the modulators' phasic and tonic averages and the mapping p = p0 exp(M m) of the
         meta-parameters; traces cleared at terminals.

  /usr/bin/python3 bench/peers/torch_population.py [N] [hidden] [steps]     (default 256 64 2000)

Prints microseconds per agent-step (act + learn) and agent-steps per second. Debian's python3-torch.
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 256
H = int(sys.argv[2]) if len(sys.argv) > 2 else 64
STEPS = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
D, K = 3, 2
GAMMA, LAMBDA, ALPHA, BETA, CRITIC, MAX_UPDATE, PRED_RATE = 0.95, 0.5, 0.05, 1.0, 1.0, 1.0, 0.1


def uniform(*shape, fan_in):
    bound = (3.0 / fan_in) ** 0.5
    return ((torch.rand(*shape) * 2 - 1) * bound).requires_grad_()


W1, b1 = uniform(N, D, H, fan_in=D), torch.zeros(N, 1, H, requires_grad=True)
Wp, bp = uniform(N, H, K, fan_in=H), torch.zeros(N, 1, K, requires_grad=True)
wv, bv = uniform(N, H, 1, fan_in=H), torch.zeros(N, 1, 1, requires_grad=True)
params = [W1, b1, Wp, bp, wv, bv]
traces = [torch.zeros_like(p) for p in params]
Wq, bq = torch.zeros(N, H, K), torch.zeros(N, 1, K)          # outcome predictor (no gradient: LMS)
gain, beta, alpha = torch.ones(N, 1, 1), torch.full((N,), BETA), torch.full((N,), ALPHA)
phasic, tonic = torch.zeros(N, 4), torch.zeros(N, 4)
mapping = torch.tensor([[0.0, 1.0, -1.0, 0.0], [1.0, -2.0, 0.0, 0.0]])   # learning rate, inverse temperature rows

obs_pool = torch.rand(4093 + N * D) * 2 - 1


def observation(t):
    start = t % 4093
    return obs_pool[start:start + N * D].view(N, 1, D)


def forward(x):
    h = torch.tanh(gain * (torch.bmm(x, W1) + b1))
    logits = beta.view(N, 1, 1) * (torch.bmm(h, Wp) + bp)
    v = torch.bmm(h, wv) + bv
    return h, logits.view(N, K), v.view(N)


def step(t):
    global traces
    x = observation(t)
    # act: forward, sample, the trace through autograd
    h, logits, v = forward(x)
    logp = torch.log_softmax(logits, dim=1)
    a = torch.multinomial(logp.exp(), 1).view(N)
    objective = logp.gather(1, a.view(N, 1)).sum() + CRITIC * v.sum()   # agents are independent: one backward
    grads = torch.autograd.grad(objective, params)
    decay = GAMMA * LAMBDA
    traces = [decay * e + g for e, g in zip(traces, grads)]
    # the world
    r = torch.where(a == (torch.arange(N) & 1), torch.tensor(1.0), torch.tensor(-0.5))
    terminal = ((t + torch.arange(N)) % 100 == 99).float()
    # learn: V(s'), the TD error, the clipped three-factor update
    with torch.no_grad():
        _, _, v_next = forward(observation(t + 1))
        delta = r + GAMMA * v_next * (1 - terminal) - v.detach()
        step_size = (alpha * delta).view(N)
        norm = torch.sqrt(sum((e.reshape(N, -1) ** 2).sum(1) for e in traces)) * step_size.abs()
        scale = torch.where(norm > MAX_UPDATE, MAX_UPDATE / (norm + 1e-30), torch.ones(N)) * step_size
        for p, e in zip(params, traces):
            p += scale.view(N, *([1] * (p.dim() - 1))) * e
        # the outcome predictor: its error for the action taken is the surprise; normalised LMS
        hd = h.detach()
        pred = (torch.bmm(hd, Wq) + bq).view(N, K).gather(1, a.view(N, 1)).view(N)
        err = r - pred
        surprise = err * err
        lr = PRED_RATE / (1 + (hd * hd).sum((1, 2)))
        onehot = torch.nn.functional.one_hot(a, K).float().view(N, 1, K)
        Wq.add_(torch.bmm(hd.transpose(1, 2), onehot) * (lr * err).view(N, 1, 1))
        bq.add_(onehot * (lr * err).view(N, 1, 1))
        # the modulators: phasic and tonic averages, levels, the mapping onto the meta-parameters
        signal = torch.stack([delta, surprise, surprise.sqrt(), torch.relu(-r)], 1)
        phasic.mul_(1 - 1 / 20).add_(signal / 20)
        tonic.mul_(1 - 1 / 500).add_(phasic / 500)
        level = torch.tanh(phasic + tonic)
        meta = torch.exp(level @ mapping.t())
        alpha.copy_(ALPHA * meta[:, 0])
        beta.copy_(BETA * meta[:, 1])
        keep = (1 - terminal)
        traces = [e * keep.view(N, *([1] * (e.dim() - 1))) for e in traces]


for t in range(20):
    step(t)
t0, c0 = time.perf_counter(), time.process_time()
for t in range(STEPS):
    step(t)
dt, dc = time.perf_counter() - t0, time.process_time() - c0
print("torch %s, %d thread: %d agents x %d hidden (%d inputs, %d actions), %d steps: %.2f us per agent-step "
      "(%.0f agent-steps per second); CPU time %.2f us per agent-step" % (
          torch.__version__, torch.get_num_threads(), N, H, D, K, STEPS, 1e6 * dt / (N * STEPS), N * STEPS / dt,
          1e6 * dc / (N * STEPS)))
