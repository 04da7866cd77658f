// Package assets holds the web app, built from ui/web by `make ui` and
// committed, so that `go build` needs no npm.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// FS is the built app: index.html and what it loads.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
