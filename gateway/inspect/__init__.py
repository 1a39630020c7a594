"""Inspection: detectors that turn strings in a tool call's arguments or a tool's output into ``Finding``s.

``normalize`` folds obfuscation (NFKC, confusables, zero-width and bidi characters,
case, whitespace) before matching; each detector is one module with a ``Detector``;
``runner`` walks arguments (JSON pointers, size and depth limits) and outputs.
"""
