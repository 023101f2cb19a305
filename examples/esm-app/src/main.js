import { Uploader } from '@ferry/sdk'

const $ = (id) => document.getElementById(id)
const endpoint = new URL('/files/', location.href).href

// Behind the self-hosted example, uploads belong to a signed-in user (a session cookie, which the
// browser sends with every same-origin request, the SDK's included). Other servers need none.
const session = await fetch('/session').catch(() => undefined)
if (session?.status === 401) {
  $('sign-in').hidden = false
  $('files').disabled = true
} else if (session?.ok) {
  showUser((await session.json()).user)
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault()
  const response = await fetch('/session', { method: 'POST', body: new URLSearchParams({ name: $('name').value }) })
  if (!response.ok) return showError(`sign-in failed: ${response.status}`)
  $('sign-in').hidden = true
  $('files').disabled = false
  showUser((await response.json()).user)
})

const uploader = new Uploader({ endpoint, concurrency: 3 })
const items = new Map()
uploader.on('file-added', (file) => items.set(file.id, listItem(`${file.file.name}: queued`)))
uploader.on('file-state', ({ file, state }) => {
  items.get(file.id).textContent = `${file.file.name}: ${state}`
})
uploader.on('file-success', ({ file, result }) => {
  const item = items.get(file.id)
  item.dataset.sha256 = result.sha256
  item.dataset.url = result.url
  item.textContent = `${file.file.name}: stored as ${result.key}, SHA-256 ${result.sha256}`
})
uploader.on('file-error', ({ file, error }) => {
  items.get(file.id).textContent = `${file.file.name}: failed`
  showError(`${file.file.name}: ${error.code}: ${error.message}`)
})
uploader.on('progress', ({ bytesUploaded, bytesTotal }) => {
  $('total').value = bytesTotal === 0 ? 100 : Math.floor((bytesUploaded / bytesTotal) * 100)
})

$('files').addEventListener('change', (event) => {
  $('error').hidden = true
  uploader.add(event.target.files)
})

function listItem(text) {
  const item = document.createElement('li')
  item.textContent = text
  $('list').append(item)
  return item
}

function showUser(user) {
  $('signed-in').hidden = false
  $('signed-in').textContent = `Signed in as ${user}; your uploads are yours alone.`
}

function showError(message) {
  $('error').hidden = false
  $('error').textContent = message
}
