"""Geography masters: LGD units (state → district → block → gram panchayat → village), added
one by one or imported from a CSV file, listed for drop-downs and resolved for scope checks."""
