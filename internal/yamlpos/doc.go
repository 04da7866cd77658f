// Package yamlpos helps parsers of user-written YAML report problems as
// file:line: what is wrong. It keeps the line of every value a validator may
// refuse (Value), finds mapping keys that no field takes (Checker), and turns
// yaml.v3's own errors into the same one-problem-per-line form (FromError).
//
// yaml.v3 offers Decoder.KnownFields for unknown fields, but custom
// unmarshalers (needed to keep positions) lose it, and its messages name Go
// types rather than what the user should fix.
package yamlpos
