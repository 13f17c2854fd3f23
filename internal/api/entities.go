package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/entities"
	"github.com/kycd/kycd/internal/kyc"
)

// The text route.
func (s *Server) registerEntities() {
	s.register(handle(signedIn, huma.Operation{Method: http.MethodPost, Path: "/v1/entities/detect", OperationID: "detect-entities",
		Tags: []string{"Text"}, Summary: "Find entities and personal data in text", Errors: []int{400},
		Description: "Like Comprehend's DetectEntities and DetectPiiEntities, with rules: formats (e-mail, phone, SSN, dates, " +
			"IBAN and card numbers with their checks) and the labels of identity documents. Offsets count characters. " +
			"It does not understand prose: a name no label introduces is not found."}, s.detectEntities))
}

// EntitiesInput is text to search.
type EntitiesInput struct {
	Body struct {
		Text  string   `json:"text" maxLength:"100000"`
		Types []string `json:"types,omitempty" doc:"entities, pii or both (the default)"`
	}
}

// EntityBody is one entity found in text.
type EntityBody struct {
	Type        string  `json:"type"`
	Text        string  `json:"text"`
	Score       float64 `json:"score"`
	BeginOffset int     `json:"begin_offset"`
	EndOffset   int     `json:"end_offset"`
}

// EntitiesOutput lists the entities found.
type EntitiesOutput struct {
	Body struct {
		Entities []EntityBody `json:"entities"`
	}
}

func (s *Server) detectEntities(ctx context.Context, in *EntitiesInput) (*EntitiesOutput, error) {
	for _, t := range in.Body.Types {
		if t != entities.KindEntities && t != entities.KindPII {
			return nil, kyc.Errorf(kyc.Invalid, "unknown type %q (want entities or pii)", t)
		}
	}
	out := &EntitiesOutput{}
	out.Body.Entities = []EntityBody{}
	for _, e := range entities.Detect(in.Body.Text, in.Body.Types...) {
		out.Body.Entities = append(out.Body.Entities, EntityBody{Type: e.Type, Text: e.Text, Score: e.Score,
			BeginOffset: e.BeginOffset, EndOffset: e.EndOffset})
	}
	return out, nil
}
