"""Sales office: welcome cards, receptions and follow-ups, the evening and weekly counts, scouts, import, customer analysis."""
