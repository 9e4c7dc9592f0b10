"""Text-to-speech providers behind one interface (`TtsProvider`), chosen by settings."""
