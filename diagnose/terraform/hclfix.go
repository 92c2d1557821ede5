package terraform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// jsonToHCL writes a JSON document as an HCL expression for jsonencode(),
// keeping the key order, one element a line. Every string holding the id in
// refs is written with an interpolation of refs[id] instead.
func jsonToHCL(doc []byte, indent string, refs map[string]string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	if err := writeHCLValue(&b, dec, indent, refs); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeHCLValue(b *strings.Builder, dec *json.Decoder, indent string, refs map[string]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		inner := indent + "  "
		switch t {
		case '{':
			b.WriteString("{\n")
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				b.WriteString(inner)
				if hclsyntax.ValidIdentifier(k) {
					b.WriteString(k)
				} else {
					b.WriteString(hclString(k, nil))
				}
				b.WriteString(" = ")
				if err := writeHCLValue(b, dec, inner, refs); err != nil {
					return err
				}
				b.WriteString("\n")
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			b.WriteString(indent + "}")
		case '[':
			b.WriteString("[\n")
			for dec.More() {
				b.WriteString(inner)
				if err := writeHCLValue(b, dec, inner, refs); err != nil {
					return err
				}
				b.WriteString(",\n")
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			b.WriteString(indent + "]")
		}
	case string:
		b.WriteString(hclString(t, refs))
	case json.Number:
		b.WriteString(t.String())
	case bool:
		fmt.Fprint(b, t)
	case nil:
		b.WriteString("null")
	}
	return nil
}

// hclString quotes s as an HCL template: escapes, ${ and %{ doubled, then
// each id of refs replaced by an interpolation.
func hclString(s string, refs map[string]string) string {
	q, _ := json.Marshal(s)
	out := string(q)
	out = strings.ReplaceAll(out, "${", "$${")
	out = strings.ReplaceAll(out, "%{", "%%{")
	ids := make([]string, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = strings.ReplaceAll(out, id, "${"+refs[id]+"}")
	}
	return out
}
