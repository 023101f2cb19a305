import { Uploader } from '@ferry/sdk'

const $ = (id) => document.getElementById(id)
const endpoint = new URL('/files/', location.href).href

const uploader = new Uploader({ endpoint, concurrency: 3 })
const items = new Map()
uploader.on('file-added', (file) => items.set(file.id, listItem(file.file.name)))
uploader.on('file-state', ({ file, state }) => {
  items.get(file.id).state.textContent = state
})
uploader.on('file-success', ({ file, result }) => {
  const item = items.get(file.id)
  item.element.dataset.sha256 = result.sha256
  item.element.dataset.url = result.url
  item.details.textContent = `stored as ${result.key}, SHA-256 ${result.sha256}`
})
uploader.on('file-error', ({ file, error }) => {
  // A file that was stored may still fail later, in processing: it stays stored.
  const what = file.result ? 'stored, but its processing failed' : 'failed'
  items.get(file.id).details.textContent = `${what}: ${error.code}`
  showError(`${file.file.name}: ${error.message}`)
})
uploader.on('progress', ({ bytesUploaded, bytesTotal, filesDone, filesTotal }) => {
  const done = bytesTotal > 0 ? bytesUploaded / bytesTotal : filesTotal > 0 && filesDone === filesTotal ? 1 : 0
  $('total').value = Math.floor(done * 100)
})

$('files').addEventListener('change', (event) => {
  $('error').hidden = true
  uploader.add(event.target.files)
  // So that picking the same file again uploads it again.
  event.target.value = ''
})

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault()
  try {
    const response = await fetch('/session', { method: 'POST', body: new URLSearchParams({ name: $('name').value }) })
    if (!response.ok) return showError(`sign-in failed: ${(await response.json()).error ?? response.status}`)
    $('sign-in').hidden = true
    $('files').disabled = false
    showUser((await response.json()).user)
  } catch (error) {
    showError(`sign-in failed: ${error.message}`)
  }
})

// Behind the self-hosted example, uploads belong to a signed-in user (a session cookie, which the
// browser sends with every same-origin request, the SDK's included). Other servers need none.
$('files').disabled = true
fetch('/session').then(
  async (session) => {
    if (session.status === 401) return void ($('sign-in').hidden = false)
    if (session.ok) showUser((await session.json()).user)
    $('files').disabled = false
  },
  () => ($('files').disabled = false),
)

function listItem(name) {
  const element = document.createElement('li')
  const state = document.createElement('strong')
  const details = document.createElement('span')
  state.textContent = 'queued'
  element.append(`${name}: `, state, ' ', details)
  $('list').append(element)
  return { element, state, details }
}

function showUser(user) {
  $('signed-in').hidden = false
  $('signed-in').textContent = `Signed in as ${user}; your uploads are yours alone.`
}

function showError(message) {
  $('error').hidden = false
  $('error').textContent = message
}
