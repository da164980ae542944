"""Speech engines behind the ports: TTS speaker, Vosk listener, and the model store."""
