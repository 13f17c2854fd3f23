package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/entities"
	"github.com/kycd/kycd/internal/kyc"
)

func (s *Server) registerEntities() {
	huma.Register(s.api, huma.Operation{OperationID: "detect-entities", Method: http.MethodPost, Path: "/v1/entities/detect",
		Tags: []string{"Text"}, Summary: "Find entities and personal data in text", Security: secured,
		Description: "Like Comprehend's DetectEntities and DetectPiiEntities, with rules: formats (e-mail, phone, SSN, dates, " +
			"IBAN and card numbers with their checks) and the labels of identity documents. Offsets count characters. " +
			"It does not understand prose: a name no label introduces is not found."},
		func(ctx context.Context, in *struct {
			Body struct {
				Text  string   `json:"text" maxLength:"100000"`
				Types []string `json:"types,omitempty" doc:"entities, pii or both (the default)"`
			}
		}) (*struct {
			Body struct {
				Entities []entities.Entity `json:"entities"`
			}
		}, error) {
			if _, err := RequireUser(ctx); err != nil {
				return nil, err
			}
			for _, t := range in.Body.Types {
				if t != entities.KindEntities && t != entities.KindPII {
					return nil, kyc.Errorf(kyc.Invalid, "unknown type %q (want entities or pii)", t)
				}
			}
			out := &struct {
				Body struct {
					Entities []entities.Entity `json:"entities"`
				}
			}{}
			out.Body.Entities = entities.Detect(in.Body.Text, in.Body.Types...)
			if out.Body.Entities == nil {
				out.Body.Entities = []entities.Entity{}
			}
			return out, nil
		})
}
