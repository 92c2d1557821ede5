package trail

import "time"

// Records that do not come from files (Athena rows, CloudTrail Lake
// results) go through the same decoder and the same filter as trail files.

// DecodeRecord decodes one CloudTrail record (a JSON object) into an Event,
// exactly as Read decodes each record of a trail file.
func DecodeRecord(data []byte) (Event, error) { return decodeRecord(data) }

// Keeps reports whether a Read with these options keeps e: its filter,
// repository, time window, accounts and regions.
func (o Options) Keeps(e Event) bool { return (&scanner{opts: o}).keep(e) }

// MayHold reports whether trail files delivered between from and to may
// hold events inside the options' window: the test Read prunes date
// folders and file names with, delivery margin included.
func (o Options) MayHold(from, to time.Time) bool { return inWindow(from, to, o) }

// IsTrailFile reports whether a file (a path or an S3 key) found in a trail
// folder is worth opening: JSON, gzipped or not, and not a digest file.
func IsTrailFile(path string) bool { return isTrailFile(path) }

// DeliveryTime reads the delivery time in a trail file's name
// (ACCOUNT_CloudTrail_REGION_20240501T1005Z_ID.json.gz).
func DeliveryTime(name string) (time.Time, bool) { return delivered(name) }
