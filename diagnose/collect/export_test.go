package collect

import "github.com/ecrdoctor/ecrdoctor/diagnose/trail"

// RowColumns are the columns the engines' queries select, for the tests of
// package collect_test.
var RowColumns = rowColumns

// DecodeRows decodes query rows as the Athena and Lake readers do.
func DecodeRows(source string, opts trail.Options, rows []map[string]string) *trail.Result {
	r := newRowEvents(source, opts)
	for _, row := range rows {
		r.add(row)
	}
	return r.result()
}
