# argocd-repo-server with argo-metrics-gen on its PATH, for the kustomize.buildOptions route.
# ARGOCD_VERSION (required): the tag of the Argo CD release you run. From the repository root:
#
#   docker build -f examples/argocd/repo-server.Dockerfile --build-arg ARGOCD_VERSION=<your tag> \
#     -t registry.example.com/platform/argocd:<your tag>-argo-metrics-gen .
#
# then set that image on the argocd-repo-server Deployment (argo-cd Helm chart:
# repoServer.image). The binary is the static one `make build` produces.
ARG ARGOCD_VERSION
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/argo-metrics-gen/argo-metrics-gen/internal/cli.Version=${VERSION}" \
      -o /out/argo-metrics-gen ./cmd/argo-metrics-gen

FROM quay.io/argoproj/argocd:${ARGOCD_VERSION}
COPY --from=build /out/argo-metrics-gen /usr/local/bin/argo-metrics-gen
