"""French formats, but with a decimal point.

Templates print machine-read numbers with `{{ }}`: the frame of a detail in an SVG (`x="12.5"`), the values of the
detail form's number inputs, tiles' aspect ratios in data attributes. French's decimal comma would break all of them,
and the few numbers people read (similarity) are formatted in Python. Dates and everything else stay French.
"""

DECIMAL_SEPARATOR = "."
