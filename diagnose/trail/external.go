package trail

// Records that do not come from files (Athena rows, CloudTrail Lake
// results) go through the same decoder and the same filter as trail files.

// DecodeRecord decodes one CloudTrail record (a JSON object) into an Event,
// exactly as Read decodes each record of a trail file.
func DecodeRecord(data []byte) (Event, error) { return decodeRecord(data) }

// Keeps reports whether a Read with these options keeps e: its filter,
// repository, time window, accounts and regions.
func (o Options) Keeps(e Event) bool { return (&scanner{opts: o}).keep(e) }
