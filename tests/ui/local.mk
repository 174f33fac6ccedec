# UI tests drive the real surel binary in tmux (send-keys, capture-pane).
TESTS +=
