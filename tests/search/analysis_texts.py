"""Random texts over the characters where normalisation has edges."""

from __future__ import annotations

from hypothesis import strategies as st

TEXTS = st.lists(
    st.text(
        st.sampled_from(list("党建村里裡着著凭借藉乾干後后 \n\r\tＡaﬁ①㎡\U00020000：，")),
        max_size=30,
    ),
    max_size=8,
)
