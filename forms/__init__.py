"""WTForms forms and validators."""
