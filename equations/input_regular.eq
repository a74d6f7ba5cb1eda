# Deterministic input neuron: regular spikes at `rate`, first spike half an interval into the slot (for tests and engine comparisons).
# implements: not in the paper; a noise-free stand-in for input_poisson.eq with the same interface.
# provides: rate, next_spike_time
# requires: in_presentation
[model]
rate : Hz
next_spike_time : second
[threshold]
t >= next_spike_time and in_presentation > 0
[reset]
next_spike_time = t + 1 / (rate + rate_floor)
[slot_start]
next_spike_time = t + 0.5 / (rate + rate_floor)
