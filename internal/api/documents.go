package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kycd/kycd/internal/document"
	"github.com/kycd/kycd/internal/raster"
)

// AnalyzeOutput answers /v1/documents/analyze.
type AnalyzeOutput struct {
	Body *AnalysisBody
}

// The document route.
func (s *Server) registerDocuments() {
	s.register(handle(signedIn, huma.Operation{Method: http.MethodPost, Path: "/v1/documents/analyze", OperationID: "analyze-document",
		Tags: []string{"Documents"}, Summary: "Read an identity document", Errors: []int{400, 413, 415, 429, 503},
		MaxBodyBytes: 2 * s.opts.MaxBodyBytes, SkipValidateBody: true,
		Description: "Like Textract's AnalyzeID: the document type and issuing country, the fields (FIRST_NAME, LAST_NAME, " +
			"MIDDLE_NAME, DOCUMENT_NUMBER, DATE_OF_BIRTH, EXPIRATION_DATE, DATE_OF_ISSUE, SEX, NATIONALITY, ADDRESS, ID_TYPE, " +
			"MRZ_CODE, ...) each with its value, confidence and source (mrz, barcode or visual), the MRZ with every check digit, " +
			"the AAMVA barcode of North American licences, where the portrait is, the photo quality and warnings. Send the " +
			"front and, for ID cards and licences, the back. " + raster.Accepted + " (the first page) at any rotation; a PDF front with no back sent gives both sides (pages 1 and 2). Bad images get 400, 413 or 415; " +
			"a readable image with no document gets document_type unknown and warnings saying why.",
		RequestBody: imageBody("the document's sides", map[string]string{"front": "the side with the photo", "back": "the other side (ID cards: the MRZ; licences: the barcode)"}, nil, "back"),
	}, s.analyzeDocument))
}

func (s *Server) analyzeDocument(ctx context.Context, in *imageInput) (*AnalyzeOutput, error) {
	form, err := parseImageForm(in.ContentType, in.RawBody, "front", "back")
	if err != nil {
		return nil, err
	}
	front, back, err := form.documentSides(s.imageLimits())
	if err != nil {
		return nil, err
	}
	an, err := s.opts.Documents.Analyze(ctx, document.Side{Name: "front", Data: front}, document.Side{Name: "back", Data: back})
	if err != nil {
		return nil, err
	}
	return &AnalyzeOutput{Body: analysisBody(an)}, nil
}
