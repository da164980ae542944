"""What the engine tests and the benchmarks share, imported by name
(``tests.support.sounds``): the deterministic Korean model copy, spoken and room
audio, the private PulseAudio with its virtual mic and speaker, and the events
file reader."""
