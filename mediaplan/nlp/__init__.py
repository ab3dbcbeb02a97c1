"""Vietnamese text: normalisation, themes with evidence, flags, formats, entities, near-duplicates."""
