"""The bulletin generator: content -> validated model -> variants -> pages -> output."""
