"""Maltese resources shipped inside the package (MIT, MLRS/malti; CC BY-SA 4.0, UD_Maltese-MUDT)."""
