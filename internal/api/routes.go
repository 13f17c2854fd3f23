package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/kyc"
)

// access says who may call an operation. The route's wrapper checks it
// before the handler runs, so a handler finds its caller with caller(ctx)
// and never authenticates by itself.
type access int

const (
	anyone    access = iota // no credentials needed
	signedIn                // a signed-in person or an API key
	driver                  // signedIn, or the holder of a verification link (for its case's routes)
	person                  // a signed-in person (their own account), not an API key
	adminOnly               // the admin role, person or key
)

var secured = []map[string][]string{{"bearer": {}}, {"cookie": {}}}

// public says so in the OpenAPI document: one requirement with no scheme,
// so that clients and linters know the operation needs no credentials
// rather than guessing.
var public = []map[string][]string{{}}

// route is one operation of the API: what the OpenAPI document says of it
// and its named handler. Each area's routes are a table of them.
type route struct {
	op  huma.Operation
	add func(api huma.API, op huma.Operation)
}

// handle makes a route of op, who may call it and its handler.
func handle[I, O any](who access, op huma.Operation, h func(context.Context, *I) (*O, error)) route {
	if who != anyone {
		op.Security = secured
		op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	} else if op.Security == nil {
		op.Security = public
	}
	return route{op: op, add: func(api huma.API, op huma.Operation) {
		huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
			if err := allow(ctx, who); err != nil {
				return nil, err
			}
			return h(ctx, in)
		})
	}}
}

// register adds routes to the API.
func (s *Server) register(routes ...route) {
	for _, r := range routes {
		r.add(s.api, r.op)
	}
}

// allow checks the request's principal against who.
func allow(ctx context.Context, who access) error {
	switch who {
	case signedIn:
		_, err := RequireUser(ctx)
		return err
	case driver:
		_, err := RequireDriver(ctx)
		return err
	case person:
		_, err := RequirePerson(ctx)
		return err
	case adminOnly:
		_, err := RequireRole(ctx, kyc.RoleAdmin)
		return err
	}
	return nil
}

// caller is the principal of a request its route let through (nil on a
// route open to anyone).
func caller(ctx context.Context) *kyc.Principal { return PrincipalFrom(ctx) }
