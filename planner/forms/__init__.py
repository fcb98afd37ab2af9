"""WTForms forms, one module per feature; the API validates JSON with the same forms."""
