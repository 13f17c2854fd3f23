// Package docs holds the guides that kycd also serves: docs/integrating.md
// is the "Getting started" page at /docs/getting-started.
package docs

import _ "embed"

// Integrating is docs/integrating.md, the integrators' guide.
//
//go:embed integrating.md
var Integrating []byte
