import { defineConfig } from 'vite'

// `npm run dev` serves the app and passes Ferry's routes on to a Ferry server (FERRY_URL), so
// the page and the endpoint share one origin, as they do behind the self-hosted example.
const ferry = process.env.FERRY_URL ?? 'http://localhost:3000'

export default defineConfig({
  server: {
    // changeOrigin stays false: the Ferry server builds upload and event URLs from the Host it
    // sees, and the self-hosted example checks that sign-ins come from the page's own origin.
    proxy: Object.fromEntries(['/files', '/api', '/session'].map((route) => [route, { target: ferry, changeOrigin: false }])),
  },
})
