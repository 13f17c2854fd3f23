package api_test

import (
	"os"
	"testing"

	"github.com/kycd/kycd/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }
