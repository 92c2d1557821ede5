package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The policy grammar needs document order (conditions are reported in the
// order written) and exact positions for error messages, which
// map[string]any loses, so documents are decoded into this small ordered tree.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	switch k {
	case jsonNull:
		return "null"
	case jsonBool:
		return "a boolean"
	case jsonNumber:
		return "a number"
	case jsonString:
		return "a string"
	case jsonArray:
		return "a list"
	default:
		return "an object"
	}
}

type jsonNode struct {
	kind   jsonKind
	text   string // string value, number literal, or "true"/"false"
	items  []*jsonNode
	fields []jsonField
}

type jsonField struct {
	key string
	val *jsonNode
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack; real
// policies nest at most five levels.
const maxDepth = 64

func decodeJSON(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, errors.New("unexpected data after the top-level value")
		}
		return nil, err
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (*jsonNode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &jsonNode{kind: jsonNull}, nil
	case bool:
		if t {
			return &jsonNode{kind: jsonBool, text: "true"}, nil
		}
		return &jsonNode{kind: jsonBool, text: "false"}, nil
	case json.Number:
		return &jsonNode{kind: jsonNumber, text: t.String()}, nil
	case string:
		return &jsonNode{kind: jsonString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &jsonNode{kind: jsonArray}
			for dec.More() {
				item, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '{':
			n := &jsonNode{kind: jsonObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, jsonField{key: key, val: val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// SyntaxMessage words a JSON decoding error of data with where it is, as
// "offset N (line L, column C)". The token decoder reports where the token began, not where
// the bad byte is, so the position comes from the standard library's
// validating scanner, whose offset counts the bytes read up to and including
// the offending one.
func SyntaxMessage(data []byte, err error) string {
	if len(bytes.TrimSpace(data)) == 0 {
		return "the document is empty"
	}
	var syn *json.SyntaxError
	var raw json.RawMessage
	if errors.As(json.Unmarshal(data, &raw), &syn) {
		line, col := lineColumn(data, syn.Offset)
		return fmt.Sprintf("%v at offset %d (line %d, column %d)", syn, syn.Offset, line, col)
	}
	return err.Error() // valid JSON the decoder still refused, e.g. nested too deep
}

// lineColumn turns a json.SyntaxError offset (the bytes read when the error
// was found) into the 1-based line and column of the offending byte.
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 1), int64(len(data)))
	before := data[:max(offset-1, 0)]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
