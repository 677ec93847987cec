"${{ __toString = s: "T"; }}-${{ outPath = "O"; }}"
