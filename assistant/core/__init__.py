"""The pure core: ritual model, conductor, commands, reframes, endpointing, journal.

Nothing in here imports an engine (vosk, sounddevice, pyttsx3) or touches a device.
"""
