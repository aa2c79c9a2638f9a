import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);

const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** Files GraphiQL needs in a browser, served by the app itself so no CDN is involved. */
const ASSETS: Record<string, string> = {
  'react.js': path.join(packageDir('react'), 'umd', 'react.production.min.js'),
  'react-dom.js': path.join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
  'graphiql.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
};

export const GRAPHIQL_ASSET_PATH = '/graphiql';

/** Serves GraphiQL's bundled assets under `/graphiql/`. */
export function graphiqlAssets(): Router {
  const router = express.Router();
  for (const [name, file] of Object.entries(ASSETS)) {
    router.get(`${GRAPHIQL_ASSET_PATH}/${name}`, (_req, res) => {
      res.sendFile(file, { maxAge: '1d' });
    });
  }
  router.get(`${GRAPHIQL_ASSET_PATH}/start.js`, (_req, res) => {
    res.type('text/javascript').send(GRAPHIQL_START_SCRIPT);
  });
  return router;
}

/** The GraphiQL page for `/graphql`, wired for queries over HTTP and subscriptions over WebSocket. */
export function graphiqlPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>gpuaas GraphiQL</title>
  <link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${GRAPHIQL_ASSET_PATH}/react.js"></script>
  <script src="${GRAPHIQL_ASSET_PATH}/react-dom.js"></script>
  <script src="${GRAPHIQL_ASSET_PATH}/graphiql.js"></script>
  <script src="${GRAPHIQL_ASSET_PATH}/start.js"></script>
</body>
</html>`;
}

/** GraphiQL's start-up script; a separate file so a strict Content-Security-Policy can forbid inline scripts. */
export const GRAPHIQL_START_SCRIPT = `(function () {
  var url = new URL('/graphql', location.href).toString();
  var ws = url.replace(/^http/, 'ws');
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: ws });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: '# Sign in with the login mutation, then add a header:\\n# { "Authorization": "Bearer <token>" }\\n\\nquery { gpuTypes }\\n',
    }),
  );
})();`;
