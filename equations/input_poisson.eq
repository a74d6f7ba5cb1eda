# Poisson input neuron: spikes at `rate` during the presentation window, through exponential inter-spike intervals.
# implements: Diehl & Cook (2015) input encoding (Poisson spike trains, rate proportional to pixel intensity); drawn as next-spike times (one random number per spike, exact Poisson process).
# provides: rate, next_spike_time
# requires: in_presentation
# `in_presentation` is supplied by the simulation protocol: it is 1 during the 350 ms
# presentation and 0 during the rest. The first spike is redrawn at each slot start, which is
# exact because the Poisson process is memoryless.
[model]
rate : Hz
next_spike_time : second
[threshold]
t >= next_spike_time and in_presentation > 0
[reset]
next_spike_time = t - log(1 - rand()) / (rate + rate_floor)
[slot_start]
next_spike_time = t - log(1 - rand()) / (rate + rate_floor)
