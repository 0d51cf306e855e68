"""Tests of the project itself: import layers, Tensor's surface."""
