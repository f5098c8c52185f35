#!/usr/bin/env python3
"""bench/peers/brian2_stdp.py -- the spiking peer network in Brian2, for the speed comparison of make bench.

The network of bench/bench_spiking.c: 400 LIF neurons (320 E, 80 I; tau_m 20 ms, threshold 1, reset 0,
refractory 2 ms, constant drive 0.5, exact integration), 40 Poisson inputs at 20 Hz, each onto 160 distinct E
cells (6,400 plastic synapses, w ~ U(0, 0.1), w_max 0.2) with pre and post traces (20 ms), an eligibility per
synapse (tau_e 200 ms, clock-driven) and every 20 ms the dopamine-gated update w += 0.01 da(t) e clipped to
[0, w_max], da(t) = cos(2 pi t / 1 s); 16,000 static recurrent synapses (each cell receives 40, E +0.02,
I -0.1); dt = 1 ms. Input during refractoriness is ignored, as in the C network.

Runs the network under Brian2's Cython runtime and in C++ standalone mode (each in its own process, since the
device is global), timing the simulation alone (code generation and compilation excluded: a short warm-up run
for Cython, the compiled binary run by itself for standalone), and, when it exists, the C bench of the same
network (build/bench_spiking), so all three are measured in one run on one machine.

    python3 bench/peers/brian2_stdp.py [--seconds 10] [--mode both|cython|cpp_standalone]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

N, NE, NIN, FANOUT, FANIN = 400, 320, 40, 160, 40


def network(seed):
    import numpy as np
    from brian2 import (NeuronGroup, PoissonGroup, Synapses, TimedArray, Hz, ms, second, defaultclock)
    defaultclock.dt = 1 * ms
    rng = np.random.RandomState(seed)
    G = NeuronGroup(N, 'dv/dt = (0.5 - v) / (20*ms) : 1 (unless refractory)', threshold='v >= 1',
                    reset='v = 0', refractory=2 * ms, method='exact')
    G.v = rng.uniform(0, 0.5, N)
    P = PoissonGroup(NIN, 20 * Hz)
    da = TimedArray(np.cos(2 * np.pi * np.arange(20, 1020, 20) / 1000.0), dt=20 * ms)
    S = Synapses(P, G, model='''w : 1
                                delig/dt = -elig / (200*ms) : 1 (clock-driven)
                                dx/dt = -x / (20*ms) : 1 (event-driven)
                                dy/dt = -y / (20*ms) : 1 (event-driven)''',
                 on_pre='''v_post += w * int(not_refractory_post)
                           elig -= 1.05 * y
                           x += 1''',
                 on_post='''elig += x
                            y += 1''', method='exact', namespace={'da': da})
    pre = np.repeat(np.arange(NIN), FANOUT)
    post = np.concatenate([rng.choice(NE, FANOUT, replace=False) for _ in range(NIN)])
    S.connect(i=pre, j=post)
    S.w = rng.uniform(0, 0.1, len(pre))
    # the dopamine-gated update every 20 ms (da repeats every second)
    S.run_regularly('w = clip(w + 0.01 * da(t % (1*second)) * elig, 0, 0.2)', dt=20 * ms, when='end')
    R = Synapses(G, G, 'w : 1', on_pre='v_post += w * int(not_refractory_post)')
    rpre = np.concatenate([rng.choice(np.delete(np.arange(N), j), FANIN, replace=False) for j in range(N)])
    rpost = np.repeat(np.arange(N), FANIN)
    R.connect(i=rpre, j=rpost)
    R.w = np.where(rpre < NE, 0.02, -0.1)
    return G, P, S, R


def run_cython(seconds):
    from brian2 import prefs, Network, SpikeMonitor, second
    prefs.codegen.target = 'cython'
    G, P, S, R = network(1)
    mon = SpikeMonitor(G)
    net = Network(G, P, S, R, mon)
    net.run(0.1 * second)   # code generation and compilation
    n0 = mon.num_spikes
    t0 = time.perf_counter()
    net.run(seconds * second)
    wall = time.perf_counter() - t0
    return wall, (mon.num_spikes - n0) / N / seconds


def run_standalone(seconds):
    from brian2 import set_device, device, run, SpikeMonitor, second
    directory = tempfile.mkdtemp(prefix='brian2_stdp_')
    set_device('cpp_standalone', directory=directory, build_on_run=False)
    G, P, S, R = network(1)
    mon = SpikeMonitor(G)
    run(seconds * second)
    device.build(directory=directory, compile=True, run=False)
    t0 = time.perf_counter()
    subprocess.run(['./main'], cwd=directory, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    # the spike count the binary wrote
    import numpy as np
    rate = None
    for name in os.listdir(os.path.join(directory, 'results')):
        if name.startswith('_dynamic_array_spikemonitor_i'):
            rate = len(np.fromfile(os.path.join(directory, 'results', name), dtype=np.int32)) / N / seconds
    return wall, rate


def report(name, seconds, wall, rate):
    print('%-26s %6.1f simulated s in %8.3f s wall: %8.2f simulated s per wall s (%.4f s wall per simulated s)%s'
          % (name, seconds, wall, seconds / wall, wall / seconds, '' if rate is None else '; mean rate %.1f Hz' % rate))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=float, default=10.0)
    ap.add_argument('--mode', default='both', choices=['both', 'cython', 'cpp_standalone', 'c'])
    a = ap.parse_args()
    if a.mode == 'cython':
        report('brian2 cython runtime', a.seconds, *run_cython(a.seconds))
        return
    if a.mode == 'cpp_standalone':
        report('brian2 cpp_standalone', a.seconds, *run_standalone(a.seconds))
        return
    import brian2
    print('Brian2 %s, python %s' % (brian2.__version__, sys.version.split()[0]))
    for mode in ('cython', 'cpp_standalone'):
        subprocess.run([sys.executable, __file__, '--seconds', str(a.seconds), '--mode', mode], check=True)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    c_bench = os.path.join(root, 'build', 'bench_spiking')
    if os.path.exists(c_bench):
        out = subprocess.run([c_bench, str(a.seconds)], check=True, stdout=subprocess.PIPE, text=True).stdout
        print('neuromod C (build/bench_spiking): ' + out.split('\n')[0])


if __name__ == '__main__':
    main()
