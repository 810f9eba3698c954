"""Pure optimisation engines (no discord, no database): `engine.matching` pairs mentees with mentors
(the certified optimal assignment of a round), `engine.circles` forms peer circles."""
