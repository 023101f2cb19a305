import { defineConfig } from 'vite'

// `npm run dev` serves the app and passes Ferry's routes on to a Ferry server (FERRY_URL), so
// the page and the endpoint share one origin, as they do behind the self-hosted example.
const ferry = process.env.FERRY_URL ?? 'http://localhost:3000'

export default defineConfig({
  server: {
    proxy: { '/files': ferry, '/api': ferry, '/session': ferry },
  },
})
