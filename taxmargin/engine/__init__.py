"""The lot engine: priced events in, a ``taxmargin.booking.Booking`` out."""
