# BindsNET Poisson encoder: inter-spike intervals of max(Poisson(1 / (rate dt)), 1) time steps, so at most one spike per step; a zero rate never spikes.
# implements: bindsnet.encoding.poisson as used by the study (diehl-cook-reference.md 4.4; capozzi-study-as-run.md 2): intervals I_k ~ Poisson(1000 / (rate dt)) in steps, a zero bumped to 1, spikes in steps I_0 - 1, I_0 + I_1 - 1, ... of the sample.
# provides: rate, next_spike_step
# requires: in_presentation
# The first spike of a slot falls in step I_0 - 1 (BindsNET drops index 0 of its cumulative
# sum), every later one I_k steps after the previous. A zero pixel gets rate_floor, whose mean
# interval (1e9 steps) never ends within a run; the clip keeps the interval within Brian2's
# 32-bit Poisson draw for any time step. A new train is drawn at each slot start.
[model]
rate : Hz
next_spike_step : integer
[threshold]
timestep(t, dt) >= next_spike_step and in_presentation > 0
[reset]
interval = poisson(clip(1 / ((rate + rate_floor) * dt), 0, 1e9))
next_spike_step = timestep(t, dt) + interval + int(interval == 0)
[slot_start]
first_interval = poisson(clip(1 / ((rate + rate_floor) * dt), 0, 1e9))
next_spike_step = timestep(t, dt) + first_interval + int(first_interval == 0) - 1
