"""One module per hard constraint; each can check a plan and say why a pair is refused."""
